"""``safeguard run SERVICE``: one service alone, settings from the environment.

Convention: a service ``<name>`` is served by ``services.<name>.app:create_app(settings)``
(an ASGI app listening on ``SAFEGUARD_HOST``/``SAFEGUARD_PORT``, with ``/health``).
A worker without HTTP may instead expose ``services.<name>.main:run(settings)``, a
coroutine run until interrupted. Modules are imported only for the chosen service.
"""

import argparse
import asyncio
import importlib
from pathlib import Path
from typing import Any

from infra.config import Settings, load_settings
from infra.logging import configure_logging

SERVICES = ("police", "edt", "health", "projection", "notifier", "relay")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--config", type=Path, help="TOML settings file (else SAFEGUARD_CONFIG)")
    parser.add_argument("--host", help="override SAFEGUARD_HOST")
    parser.add_argument("--port", type=int, help="override SAFEGUARD_PORT")


def run(args: argparse.Namespace) -> int:
    overrides = {k: v for k in ("host", "port") if (v := getattr(args, k)) is not None}
    settings = load_settings(args.config, **overrides)
    configure_logging(settings.log_level)
    entry = _entry_point(args.service)
    if entry[0] == "app":
        _serve(entry[1](settings), settings)
    else:
        asyncio.run(entry[1](settings))
    return 0


def _entry_point(service: str) -> tuple[str, Any]:
    try:
        return "app", importlib.import_module(f"services.{service}.app").create_app
    except ModuleNotFoundError as e:
        if e.name != f"services.{service}.app":
            raise  # the module exists but one of its imports does not
    return "main", importlib.import_module(f"services.{service}.main").run


def _serve(app: Any, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
