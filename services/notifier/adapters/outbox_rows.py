"""Mapping between outbox rows and alerts, and the writes shared by several calls."""

import sqlite3
from datetime import UTC, datetime
from typing import Any

import orjson

from events.records import Submission
from services.notifier.domain.alerts import Alert, NewAlert
from services.notifier.ports import AttemptRecord

INSERT = """INSERT INTO alerts (alert_id, finding_id, case_id, rule, transition,
    subscription, finding, created_at, delivery, next_attempt_at, escalate_at, escalation_of)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (alert_id) DO UPDATE SET rule = excluded.rule, finding = excluded.finding
    WHERE alerts.rule = ''"""
"""Idempotent by ``alert_id``; only a row restored from the stream (which lacks
the finding's details, ``rule = ''``) takes the details of a later enqueue."""

RESTORE = """INSERT OR IGNORE INTO alerts (alert_id, finding_id, case_id, rule, transition,
    subscription, finding, created_at, delivery, next_attempt_at, escalate_at, escalation_of,
    attempts, last_error, last_status_code, delivered_at, acknowledged_at, acknowledged_by,
    escalated_at, escalated_alert_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


def ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def write_attempt(db: sqlite3.Connection, r: AttemptRecord, token: int) -> bool:
    """False, writing nothing, unless the row is still claimed under ``token``
    and ``token`` still holds the lease (fencing)."""
    written = db.execute(
        "UPDATE alerts SET delivery = ?, attempts = ?, next_attempt_at = ?,"
        " last_error = ?, last_status_code = ?, claimed_by = NULL, claimed_until = NULL,"
        " delivered_at = COALESCE(delivered_at, ?) WHERE alert_id = ? AND claimed_by = ?"
        " AND EXISTS (SELECT 1 FROM lease WHERE name = 'delivery' AND token = ?)",
        (
            r.delivery,
            r.attempt,
            ts(r.next_attempt_at),
            r.error,
            r.status_code,
            ts(r.at) if r.delivery == "delivered" else None,
            r.alert_id,
            token,
            token,
        ),
    ).rowcount
    if not written:
        return False
    if r.disable_subscription is not None:
        db.execute(
            "INSERT OR IGNORE INTO disabled_subscriptions VALUES (?, ?, ?)",
            (r.disable_subscription, r.error or "410 Gone", ts(r.at)),
        )
    add_audit(db, r.audit)
    return True


def add_audit(db: sqlite3.Connection, audit: Submission) -> None:
    db.execute(
        "INSERT OR IGNORE INTO audit_outbox (event_id, agency, envelope) VALUES (?, ?, ?)",
        (audit.event_id, audit.agency, orjson.dumps(dict(audit.envelope))),
    )


def row_of(a: NewAlert) -> tuple[Any, ...]:
    return (
        a.alert_id,
        a.finding_id,
        a.case_id,
        a.rule,
        a.transition,
        a.subscription,
        orjson.dumps(dict(a.finding)),
        ts(a.created_at),
        "suppressed" if a.suppressed else "pending",
        ts(a.next_attempt_at),
        ts(a.escalate_at),
        a.escalation_of,
    )


def alert_of(r: sqlite3.Row) -> Alert:
    created = dt(r["created_at"])
    assert created is not None
    new = NewAlert(
        alert_id=r["alert_id"],
        finding_id=r["finding_id"],
        case_id=r["case_id"],
        rule=r["rule"],
        transition=r["transition"],
        subscription=r["subscription"],
        finding=orjson.loads(r["finding"]),
        created_at=created,
        next_attempt_at=dt(r["next_attempt_at"]),
        escalate_at=dt(r["escalate_at"]),
        suppressed=r["delivery"] == "suppressed",
        escalation_of=r["escalation_of"],
    )
    return Alert(
        alert=new,
        delivery=r["delivery"],
        attempts=r["attempts"],
        last_error=r["last_error"],
        last_status_code=r["last_status_code"],
        delivered_at=dt(r["delivered_at"]),
        acknowledged_at=dt(r["acknowledged_at"]),
        acknowledged_by=r["acknowledged_by"],
        escalated_at=dt(r["escalated_at"]),
        escalated_alert_id=r["escalated_alert_id"],
    )


def restored_row(a: Alert) -> tuple[Any, ...]:
    return (
        *row_of(a.alert)[:8],
        a.delivery,
        ts(a.alert.next_attempt_at),
        ts(a.alert.escalate_at),
        a.alert.escalation_of,
        a.attempts,
        a.last_error,
        a.last_status_code,
        ts(a.delivered_at),
        ts(a.acknowledged_at),
        a.acknowledged_by,
        ts(a.escalated_at),
        a.escalated_alert_id,
    )
