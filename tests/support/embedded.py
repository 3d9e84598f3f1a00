"""An embedded Safeguard (agency services + projection + notifier) for tests,
with known keys, served on a real loopback socket."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from infra.config import Settings
from services.embedded.app import create_embedded_app
from tests.support.server import serve_app

KEYS = {
    "police": "police-key-for-tests-0001",
    "edt": "edt-key-for-tests-0002",
    "health": "health-key-for-tests-0003",
}
REVIEWER_KEY = "reviewer-key-for-tests-0004"
DUTY_MANAGER_KEY = "edt-duty-manager-key-0005"
ADMIN_KEY = "admin-key-for-tests-0006"


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    credentials: list[dict[str, Any]] = [
        {"key": key, "role": "agency", "agency": agency, "name": f"{agency}-system"}
        for agency, key in KEYS.items()
    ]
    credentials += [
        {"key": REVIEWER_KEY, "role": "reviewer", "name": "case-reviewer"},
        {"key": DUTY_MANAGER_KEY, "role": "duty_manager", "agency": "edt", "name": "edt-dm"},
        {"key": ADMIN_KEY, "role": "admin", "name": "admin"},
    ]
    return Settings(data_dir=data_dir, credentials=credentials, **overrides)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@contextmanager
def embedded(settings: Settings) -> Iterator[str]:
    with serve_app(lambda: create_embedded_app(settings)) as url:
        yield url


def findings(url: str, case_id: str, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{url}/cases/{case_id}/findings", params=params, headers=auth(REVIEWER_KEY)
    )
    if response.status_code == 404:
        return []
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["findings"]
    return result
