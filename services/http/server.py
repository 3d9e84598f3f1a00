"""Run an app under uvicorn the same way in every process."""

from typing import Any

import uvicorn
from fastapi import FastAPI

from infra.config import Settings
from infra.logging import configure_logging


def proxy_options(forwarded_allow_ips: str | None) -> dict[str, Any]:
    """uvicorn's forwarded-header options, always explicit: left unset, uvicorn
    believes ``X-Forwarded-For`` from 127.0.0.1 (or ``$FORWARDED_ALLOW_IPS``), so
    anything on the host could pick the client address the auth limit counts."""
    if forwarded_allow_ips is None:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips}


def run_server(app: FastAPI, settings: Settings) -> None:
    """Blocks until SIGINT/SIGTERM, on ``settings``' host and port, trusting
    forwarded headers only from ``forwarded_allow_ips``. Access logs are off:
    ingest logs its own lines (with event ids), and a URL may carry case ids we
    need not repeat."""
    configure_logging(settings.log_level)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        **proxy_options(settings.forwarded_allow_ips),
    )
    uvicorn.Server(config).run()
