"""Run an app under uvicorn the same way in every process."""

import uvicorn
from fastapi import FastAPI

from infra.logging import configure_logging


def run_server(app: FastAPI, *, host: str, port: int, log_level: str = "INFO") -> None:
    """Blocks until SIGINT/SIGTERM. Access logs are off: ingest logs its own lines
    (with event ids), and a URL may carry case ids we need not repeat."""
    configure_logging(log_level)
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="on"
    )
    uvicorn.Server(config).run()
