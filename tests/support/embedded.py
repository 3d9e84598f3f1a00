"""The embedded Safeguard (agency services + projection + notifier) on a real
loopback socket, with the known keys of ``tests.support.ingest``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from infra.config import Settings
from services.embedded.app import create_embedded_app
from tests.support.ingest import auth
from tests.support.server import serve_app


@contextmanager
def embedded(settings: Settings) -> Iterator[str]:
    with serve_app(lambda: create_embedded_app(settings)) as url:
        yield url


def findings(url: str, case_id: str, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/cases/{case_id}/findings", params=params, headers=auth("reviewer"))
    if response.status_code == 404:
        return []
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["findings"]
    return result
