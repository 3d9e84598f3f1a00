"""``safeguard rules``: every rule's effective terms in this area, as Markdown
(``docs/rules.md`` is the same page for the national defaults)."""

import argparse
import sys

from services.cli.options import add_settings_arguments, settings_from
from services.projection.domain.rules import policy_from_settings
from services.projection.domain.rules.document import rules_markdown


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_settings_arguments(parser)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    policy = policy_from_settings(settings.rules)
    sys.stdout.write(f"<!-- area: {settings.rules.area} -->\n")
    sys.stdout.write(rules_markdown(policy))
    return 0
