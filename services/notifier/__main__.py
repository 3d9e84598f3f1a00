"""``python -m services.notifier --config FILE``: the notifier as its own process
(the same app as ``safeguard run notifier``)."""

import argparse
from pathlib import Path

from infra.config import load_settings
from infra.files import restrict_new_files


def main() -> int:
    restrict_new_files()
    parser = argparse.ArgumentParser(prog="python -m services.notifier")
    parser.add_argument("--config", type=Path, help="TOML settings (else SAFEGUARD_CONFIG)")
    settings = load_settings(parser.parse_args().config)

    from services.http.server import run_server
    from services.notifier.app import create_app

    run_server(create_app(settings), settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
