"""``safeguard rules``: every rule's effective terms in this area, as Markdown."""

import argparse
import sys

from services.cli.options import add_settings_arguments, settings_from
from services.projection.domain.policy import RulePolicy
from services.projection.rulebook import rulebook


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_settings_arguments(parser)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    policy = RulePolicy.from_settings(settings.rules)
    sys.stdout.write(rulebook(policy, settings.rules.area))
    return 0
