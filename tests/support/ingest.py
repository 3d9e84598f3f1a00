"""Settings with one known key per role, for tests of any HTTP service.

The keys are fresh and strong (256 bits) in every test run (start-up refuses weak
ones) and the same in every process of the run; the settings say
``environment = "development"``, which plain-text keys need.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from infra.config import Settings

ROLES = (
    *("police", "edt", "health", "education", "children_social_care"),
    *("duty_manager", "reviewer", "admin"),
    *("police_importer", "police_duty_manager"),
)
AGENCIES = ("police", "edt", "health", "education", "children_social_care")
_SEED = os.environ.setdefault("SAFEGUARD_TEST_KEY_SEED", secrets.token_hex(32))
"""Fresh in every run, and inherited by the processes a run spawns (a benchmark's
load clients, a served stack), so that each derives the same keys."""
KEYS = {
    who: base64.urlsafe_b64encode(hmac.digest(bytes.fromhex(_SEED), who.encode(), "sha256"))
    .decode()
    .rstrip("=")
    for who in ROLES
}


def strong_key() -> str:
    """A key start-up accepts (256 bits), for tests that need one more."""
    return secrets.token_urlsafe(32)


def make_credentials() -> list[dict[str, Any]]:
    agencies = [
        {"key": KEYS[a], "role": "agency", "agency": a, "name": f"{a}-system"} for a in AGENCIES
    ]
    return [
        *agencies,
        {"key": KEYS["duty_manager"], "role": "duty_manager", "agency": "edt"},
        {"key": KEYS["reviewer"], "role": "reviewer", "name": "reviewer"},
        {"key": KEYS["admin"], "role": "admin", "name": "admin"},
        {
            "key": KEYS["police_importer"],
            "role": "agency",
            "agency": "police",
            "name": "police-import",
            "can_import": True,
        },
        {"key": KEYS["police_duty_manager"], "role": "duty_manager", "agency": "police"},
    ]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Batches are validated inline unless a test asks for workers: a worker is a
    process spawned per app, which most tests would only wait for."""
    overrides.setdefault("ingest", {"validation_workers": 0})
    overrides.setdefault("environment", "development")
    return Settings(data_dir=data_dir, credentials=make_credentials(), **overrides)


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[who]}"}


def credentials_toml() -> str:
    """The same credentials as a TOML config file body (with the top-level
    ``environment = "development"`` they need: put other top-level keys first)."""
    blocks = ['environment = "development"']
    for c in make_credentials():
        lines = ["[[credentials]]", *(f"{k} = {_toml(v)}" for k, v in c.items())]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _toml(value: str | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else f'"{value}"'
