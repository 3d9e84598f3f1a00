"""``safeguard run SERVICE``: one service alone, settings from the environment.

Convention: a service ``<name>`` is served by ``services.<name>.app:create_app(settings)``
(an ASGI app on ``SAFEGUARD_HOST``/``SAFEGUARD_PORT`` answering ``GET /healthz``).
A worker without HTTP may instead expose ``services.<name>.main:run(settings)``, a
coroutine run until interrupted. Modules are imported only for the chosen service.
"""

import argparse
import asyncio
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from infra.config import Settings, load_settings
from services.http.auth import InvalidCredentials

SERVICES = (
    *("police", "edt", "health", "education", "children_social_care"),
    *("projection", "notifier", "relay"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--config", type=Path, help="TOML settings file (else SAFEGUARD_CONFIG)")
    parser.add_argument("--host", help="override SAFEGUARD_HOST")
    parser.add_argument("--port", type=int, help="override SAFEGUARD_PORT")


def run(args: argparse.Namespace) -> int:
    overrides = {k: v for k in ("host", "port") if (v := getattr(args, k)) is not None}
    try:
        settings = load_settings(args.config, **overrides)
        kind, factory = _entry_point(args.service)
        app = factory(settings) if kind == "app" else None
    except (ValidationError, InvalidCredentials) as exc:
        print(f"safeguard: configuration error: {_describe(exc)}", file=sys.stderr)
        return 2
    if app is None:
        from infra.logging import configure_logging

        configure_logging(settings.log_level)
        asyncio.run(factory(settings))
        return 0
    from services.http.server import run_server

    print(f"safeguard: {args.service} on http://{settings.host}:{settings.port}", flush=True)
    run_server(app, settings)
    return 0


def _entry_point(service: str) -> tuple[str, Callable[[Settings], Any]]:
    try:
        return "app", importlib.import_module(f"services.{service}.app").create_app
    except ModuleNotFoundError as e:
        if e.name != f"services.{service}.app":
            raise  # the module exists but one of its imports does not
    return "main", importlib.import_module(f"services.{service}.main").run


def _describe(exc: Exception) -> str:
    """Field and message only: the input may be a key and must not be echoed."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)
        )
    return str(exc)
