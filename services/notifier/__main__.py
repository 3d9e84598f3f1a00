"""``python -m services.notifier --config FILE``: the notifier as its own process."""

import argparse
from pathlib import Path

from infra.config import load_settings
from infra.logging import configure_logging


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m services.notifier")
    parser.add_argument("--config", type=Path, help="TOML settings (else SAFEGUARD_CONFIG)")
    args = parser.parse_args()
    settings = load_settings(args.config)
    configure_logging(settings.log_level)

    import uvicorn

    from services.notifier.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
