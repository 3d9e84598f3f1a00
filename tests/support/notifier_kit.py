"""Findings, subscriptions and settings for notifier tests (no I/O here)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from events.findings import Finding, finding_id_for
from infra.config.notifier import NotifierSettings, Subscription
from infra.config.settings import Settings

SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
DUE = datetime(2024, 3, 1, 22, 30, tzinfo=UTC)


def make_finding(n: int = 1, **kw: Any) -> Finding:
    case_id = kw.pop("case_id", f"case-{n}")
    rule = kw.pop("rule", "not-shared")
    triggers = kw.pop("trigger_event_ids", (f"00000000-0000-4000-8000-{n:012d}",))
    fields: dict[str, Any] = {
        "finding_id": finding_id_for(rule, case_id, triggers),
        "rule": rule,
        "case_id": case_id,
        "status": "open",
        "children": ("child-k",),
        "trigger_event_ids": triggers,
        "due_at": DUE,
        "concerns_agencies": ("edt",),
        "severity": "high",
        "explanation": "Police arrest not shared with EDT within 1 hour.",
        "to_agency": "edt",
    }
    return Finding(**{**fields, **kw})


def make_subscription(name: str, url: str, **kw: Any) -> Subscription:
    """Tests deliver to a ``Receiver`` on loopback, hence ``allow_private``."""
    return Subscription(
        name=name,
        url=url,
        secret=kw.pop("secret", SECRET),
        retry_schedule=kw.pop("retry_schedule", ["50ms"]),
        allow_private=kw.pop("allow_private", True),
        **kw,
    )


def make_settings(tmp: Path, subscriptions: list[Subscription], **notifier: Any) -> Settings:
    return Settings(
        data_dir=tmp,
        public_url="https://safeguard.example.org",
        subscriptions=subscriptions,
        notifier=NotifierSettings(jitter=0, **notifier),
    )
