"""``safeguard serve``: the embedded stack in one process, SQLite under the data dir."""

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from infra.config import Settings, load_settings
from services.embedded.dev_config import ensure_dev_config
from services.http.auth import InvalidCredentials


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML config (default: SAFEGUARD_CONFIG)")
    parser.add_argument("--data-dir", type=Path, help="where events.db (and a dev config) live")
    parser.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (default 8000)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="once serving, post the Child K case through the agency endpoints",
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
        from services.embedded.app import create_embedded_app

        if args.demo:
            from services.console.demo import with_demo_subscription

            settings = with_demo_subscription(settings)
        app = create_embedded_app(settings)
        if args.demo:
            from services.console.demo import mount_demo_receiver

            mount_demo_receiver(app)
    except InvalidCredentials as exc:
        print(f"safeguard: configuration error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"safeguard: configuration error:\n{_describe(exc)}", file=sys.stderr)
        return 2
    from services.http.server import run_server

    print(f"safeguard: serving on http://{settings.host}:{settings.port}", flush=True)
    if args.demo:
        _post_demo_when_up(settings)
    run_server(app, settings)
    return 0


def _describe(exc: ValidationError) -> str:
    """Field and message only: the input may be a key and must not be echoed."""
    return "\n".join(
        f"  {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)
    )


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None
    }
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    config = args.config
    if config is None and not os.environ.get("SAFEGUARD_CONFIG"):
        data_dir = overrides.get("data_dir") or Settings().data_dir
        config, written = ensure_dev_config(Path(data_dir))
        verb = "wrote a development config with fresh keys to" if written else "using"
        print(f"safeguard: {verb} {config}", flush=True)
    return load_settings(config, **overrides)


def _post_demo_when_up(settings: Settings) -> None:
    """Post the demo from a thread once /healthz answers; identical retries are
    harmless, so a restart with --demo posts nothing new."""
    import threading

    from services.cli.demo import DemoError, agency_keys, post_scenario, wait_until_up

    def post() -> None:
        url = f"http://{settings.host}:{settings.port}"
        try:
            wait_until_up(url)
            count = post_scenario(url, agency_keys(settings), "child-k")
        except DemoError as exc:
            print(f"safeguard: demo not loaded: {exc}", file=sys.stderr, flush=True)
            return
        print(
            f"safeguard: demo loaded ({count} events of case child-k). Open {url}/console\n"
            "  and sign in with the edt-duty-manager key from the config, or try:\n"
            f"  curl -H 'Authorization: Bearer <reviewer key from the config>' "
            f"{url}/cases/child-k/findings",
            flush=True,
        )

    threading.Thread(target=post, name="demo-loader", daemon=True).start()
