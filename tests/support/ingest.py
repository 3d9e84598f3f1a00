"""Settings with one known key per role, for tests of any HTTP service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.config import Settings

KEYS = {
    "police": "test-police-key-0123456789abcdef",
    "edt": "test-edt-key-0123456789abcdef",
    "health": "test-health-key-0123456789abcdef",
    "duty_manager": "test-duty-manager-key-0123456789",
    "reviewer": "test-reviewer-key-0123456789abcd",
    "admin": "test-admin-key-0123456789abcdefg",
}


def make_credentials() -> list[dict[str, Any]]:
    agencies = [
        {"key": KEYS[a], "role": "agency", "agency": a, "name": f"{a}-system"}
        for a in ("police", "edt", "health")
    ]
    return [
        *agencies,
        {"key": KEYS["duty_manager"], "role": "duty_manager", "agency": "edt"},
        {"key": KEYS["reviewer"], "role": "reviewer", "name": "reviewer"},
        {"key": KEYS["admin"], "role": "admin", "name": "admin"},
    ]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Batches are validated inline unless a test asks for workers: a worker is a
    process spawned per app, which most tests would only wait for."""
    overrides.setdefault("ingest", {"validation_workers": 0})
    return Settings(data_dir=data_dir, credentials=make_credentials(), **overrides)


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[who]}"}


def credentials_toml() -> str:
    """The same credentials as a TOML config file body."""
    blocks = []
    for c in make_credentials():
        lines = ["[[credentials]]", *(f'{k} = "{v}"' for k, v in c.items())]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
