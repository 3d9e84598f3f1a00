"""Rebuild delivery state from the audit stream, for an outbox that was lost.

Without this, a rebuild of the projection over a fresh outbox would page every
duty manager again for every finding ever raised. The stream records each
attempt, acknowledgement and escalation, which is enough to know what was
delivered; the finding's details come back when the projection re-announces it.
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from events.records import RecordedEvent
from services.notifier.domain.alerts import Alert, NewAlert

ALERT_TYPES = frozenset({"alert.sent", "alert.failed", "alert.acknowledged", "alert.escalated"})


def restore_alerts(events: Iterable[RecordedEvent]) -> dict[str, Alert]:
    """Fold alert audit events (in stream order) into the alerts they describe."""
    alerts: dict[str, Alert] = {}
    escalation_of: dict[str, str] = {}
    for event in events:
        if event.type not in ALERT_TYPES:
            continue
        data: dict[str, Any] = dict(event.data)
        alert = alerts.get(data["alert_id"]) or _new(event, data, escalation_of)
        alerts[alert.alert_id] = _evolve(alert, event.type, data, event.recorded_at)
        if event.type == "alert.escalated":
            escalation_of[data["escalated_alert_id"]] = data["alert_id"]
    return alerts


def _new(event: RecordedEvent, data: dict[str, Any], escalation_of: dict[str, str]) -> Alert:
    finding = {
        "finding_id": data["finding_id"],
        "case_id": event.case_id,
        "children": list(event.children),
    }
    new = NewAlert(
        alert_id=data["alert_id"],
        finding_id=data["finding_id"],
        case_id=event.case_id,
        rule="",
        transition=data.get("finding_status", "open"),
        subscription=data["subscription"],
        finding=finding,
        created_at=event.occurred_at,
        next_attempt_at=None,
        escalation_of=escalation_of.get(data["alert_id"]),
    )
    return Alert(alert=new, delivery="pending")


def _evolve(alert: Alert, type_: str, data: dict[str, Any], at: datetime) -> Alert:
    if type_ == "alert.sent":
        transition = data["finding_status"]
        return replace(
            alert,
            alert=replace(alert.alert, transition=transition),
            delivery="delivered",
            attempts=data["attempt"],
            delivered_at=at,
            last_status_code=data["status_code"],
            last_error=None,
        )
    if type_ == "alert.failed":
        return _failed(alert, data)
    if type_ == "alert.acknowledged":
        return replace(alert, acknowledged_at=at, acknowledged_by=data["by"])
    return replace(alert, escalated_at=at, escalated_alert_id=data["escalated_alert_id"])


def _failed(alert: Alert, data: dict[str, Any]) -> Alert:
    if alert.delivery == "delivered":
        return alert
    text = data.get("next_attempt_at")
    retry_at = None if data.get("permanent") or not text else datetime.fromisoformat(text)
    return replace(
        alert,
        alert=replace(alert.alert, next_attempt_at=retry_at),
        delivery="failed" if retry_at is None else "pending",
        attempts=data["attempt"],
        last_error=data["error"],
        last_status_code=data.get("status_code"),
    )
