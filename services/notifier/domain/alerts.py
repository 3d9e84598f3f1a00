"""Alerts: one finding status transition for one subscription.

``alert_id`` is a uuid5 of (finding, transition, subscription), so a restart, a
rebuild or a replay names the same alert the same way; it is the Standard
Webhooks ``webhook-id`` the receiver dedupes on.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Transition = Literal["open", "met_late", "resolved"]
DeliveryState = Literal["pending", "delivered", "failed", "suppressed"]
AlertStatus = Literal["pending", "delivered", "failed", "acknowledged", "escalated", "suppressed"]
ALERT_STATUSES: tuple[AlertStatus, ...] = (
    "pending",
    "delivered",
    "failed",
    "acknowledged",
    "escalated",
    "suppressed",
)

NAMESPACE = uuid.UUID("6f1c9a4e-3c0b-5d1e-9a57-5afe6a4d0001")


def alert_id_for(finding_id: str, transition: str, subscription: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"alert|{finding_id}|{transition}|{subscription}"))


def escalation_id_for(alert_id: str, escalate_to: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"escalation|{alert_id}|{escalate_to}"))


def event_id_for(alert_id: str, what: str) -> str:
    """Deterministic audit event id, e.g. ``what="attempt-3"`` or ``"ack"``: a
    retried append after a crash is then an idempotent no-op in the store."""
    return str(uuid.uuid5(NAMESPACE, f"event|{alert_id}|{what}"))


@dataclass(frozen=True, slots=True)
class NewAlert:
    """What enqueueing writes; the outbox ignores an ``alert_id`` it already holds."""

    alert_id: str
    finding_id: str
    case_id: str
    rule: str
    transition: Transition
    subscription: str
    finding: Mapping[str, Any]
    """The finding's JSON as it was at this transition (what the body carries)."""
    created_at: datetime
    next_attempt_at: datetime | None
    """None when suppressed: never sent."""
    escalate_at: datetime | None = None
    suppressed: bool = False
    escalation_of: str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as the outbox holds it now."""

    alert: NewAlert
    delivery: DeliveryState
    attempts: int = 0
    last_error: str | None = None
    last_status_code: int | None = None
    delivered_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    escalated_at: datetime | None = None
    escalated_alert_id: str | None = None

    @property
    def alert_id(self) -> str:
        return self.alert.alert_id

    @property
    def status(self) -> AlertStatus:
        if self.delivery in ("suppressed", "failed"):
            return self.delivery
        if self.acknowledged_at is not None:
            return "acknowledged"
        if self.escalated_at is not None:
            return "escalated"
        return self.delivery

    def to_json(self) -> dict[str, Any]:
        a = self.alert
        return {
            "alert_id": a.alert_id,
            "status": self.status,
            "delivery": self.delivery,
            "finding_id": a.finding_id,
            "case_id": a.case_id,
            "rule": a.rule,
            "transition": a.transition,
            "subscription": a.subscription,
            "escalation_of": a.escalation_of,
            "created_at": _iso(a.created_at),
            "attempts": self.attempts,
            "next_attempt_at": _iso(a.next_attempt_at if self.delivery == "pending" else None),
            "last_error": self.last_error,
            "last_status_code": self.last_status_code,
            "delivered_at": _iso(self.delivered_at),
            "acknowledged_at": _iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "escalate_at": _iso(a.escalate_at),
            "escalated_at": _iso(self.escalated_at),
            "escalated_alert_id": self.escalated_alert_id,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
