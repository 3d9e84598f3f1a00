"""Audit events the notifier appends: every attempt, outcome, ack and escalation.

Event ids are derived from the alert (or finding), so the same fact is always
the same event; the envelope is stored in the outbox before it is appended, so
a retry after a crash resubmits identical content and the store treats it as a
no-op.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events import SYSTEM_AGENCY, Submission, canonical, parse_envelope
from services.notifier.domain.alerts import NewAlert, event_id_for

ACTOR = {"role": "system", "name": "safeguard-notifier"}


def _submission(
    type_: str,
    event_id: str,
    finding: Mapping[str, Any],
    data: Mapping[str, Any],
    at: datetime,
    *,
    agency: str = SYSTEM_AGENCY,
    actor: Mapping[str, Any] = ACTOR,
    correlation_id: str | None = None,
) -> Submission:
    envelope = parse_envelope(
        {
            "event_id": event_id,
            "case_id": finding["case_id"],
            "type": type_,
            "occurred_at": at.isoformat(),
            "children": list(finding.get("children") or ()),
            "actor": dict(actor),
            "data": dict(data),
            "correlation_id": correlation_id,
        }
    )
    return Submission(envelope=canonical(envelope), agency=agency)


def _alert_event(
    alert: NewAlert, type_: str, what: str, extra: Mapping[str, Any], at: datetime
) -> Submission:
    data = {
        "alert_id": alert.alert_id,
        "finding_id": alert.finding_id,
        "subscription": alert.subscription,
        **extra,
    }
    return _submission(
        type_,
        event_id_for(alert.alert_id, what),
        alert.finding,
        data,
        at,
        correlation_id=alert.alert_id,
    )


def sent(alert: NewAlert, attempt: int, status_code: int, at: datetime) -> Submission:
    extra = {"attempt": attempt, "status_code": status_code, "finding_status": alert.transition}
    return _alert_event(alert, "alert.sent", f"attempt-{attempt}", extra, at)


def failed(
    alert: NewAlert,
    attempt: int,
    error: str,
    at: datetime,
    *,
    status_code: int | None,
    permanent: bool,
    next_attempt_at: datetime | None,
) -> Submission:
    extra = {
        "attempt": attempt,
        "error": error[:10_000],
        "status_code": status_code,
        "permanent": permanent,
        "next_attempt_at": None if next_attempt_at is None else next_attempt_at.isoformat(),
    }
    return _alert_event(alert, "alert.failed", f"attempt-{attempt}", extra, at)


def acknowledged(alert: NewAlert, by: str, note: str | None, at: datetime) -> Submission:
    return _alert_event(alert, "alert.acknowledged", "ack", {"by": by, "note": note or None}, at)


def escalated(alert: NewAlert, escalation: NewAlert, at: datetime) -> Submission:
    extra = {"escalated_to": escalation.subscription, "escalated_alert_id": escalation.alert_id}
    return _alert_event(alert, "alert.escalated", "escalated", extra, at)


def resolved_event_id(finding_id: str) -> str:
    """One resolution per finding: a second, different one is a conflict (409)."""
    return event_id_for("finding|" + finding_id, "resolved")


def finding_resolved(
    finding: Mapping[str, Any], by: str, agency: str, reason: str, at: datetime
) -> Submission:
    data = {"finding_id": finding["finding_id"], "by": by, "reason": reason}
    return _submission(
        "finding.resolved",
        resolved_event_id(str(finding["finding_id"])),
        finding,
        data,
        at,
        agency=agency,
        actor={"role": "duty_manager", "ref": by},
    )
