"""Options shared by subcommands that read a deployment's settings."""

import argparse
from pathlib import Path

from infra.config import Settings, load_settings
from services.embedded.dev_config import dev_config_path


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML config (default: SAFEGUARD_CONFIG)")
    parser.add_argument(
        "--data-dir", type=Path, help="data dir (its dev config is used if --config is not given)"
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """``--config`` wins; otherwise a dev config in ``--data-dir``, if there is one."""
    config = args.config
    overrides = {} if args.data_dir is None else {"data_dir": args.data_dir}
    if config is None and args.data_dir is not None and dev_config_path(args.data_dir).exists():
        config = dev_config_path(args.data_dir)
    return load_settings(config, **overrides)
