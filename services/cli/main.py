"""The ``safeguard`` command. Each subcommand lives in its own module exposing
``add_arguments(parser)`` and ``run(args) -> int``, imported only when used so
that ``safeguard --help`` stays fast and one broken adapter cannot break the rest.
"""

import argparse
import importlib
import sys
from collections.abc import Sequence

from infra.files import restrict_new_files

COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("services.cli.serve", "run the embedded stack: every service in one process"),
    "run": (
        "services.cli.run",
        "run one service alone: police|edt|health|education|children_social_care|projection|…",
    ),
    "demo": ("services.cli.demo", "post the Child K scenario to a running server"),
    "replay": ("services.cli.replay", "write a case review document as of any moment"),
    "rebuild": ("services.cli.rebuild", "rebuild the joint picture from position 0"),
    "rules": ("services.cli.rules", "print every rule's effective terms in this area"),
    "webhook-test": ("services.cli.webhook_test", "send a signed test alert to a URL"),
    "verify": ("services.cli.verify", "verify the tamper-evident hash chain of the store"),
    "export-schemas": ("services.cli.export_schemas", "write one JSON Schema per event type"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Every process starts here (or in ``services.notifier.__main__``): the
    stores, keys and documents it writes are owner-only."""
    restrict_new_files()
    parser = argparse.ArgumentParser(prog="safeguard", description=__doc__.split(".")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if a in COMMANDS), None)
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text)
        if name == chosen:
            importlib.import_module(module_name).add_arguments(command_parser)
    args = parser.parse_args(args_list)
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
