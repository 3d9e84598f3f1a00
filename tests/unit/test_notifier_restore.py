"""Delivery state folded back out of the audit stream (for a lost outbox)."""

from datetime import UTC, datetime, timedelta

from events.records import RecordedEvent, Submission
from services.notifier import audit
from services.notifier.domain.restore import restore_alerts
from services.notifier.domain.routing import escalation_of, plan_alerts
from tests.support.notifier_kit import make_finding, make_subscription

NOW = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
URL = "https://pager.example.org/hook"
[ALERT] = plan_alerts([make_finding()], [make_subscription("dm", URL)], NOW)


def recorded(subs: list[Submission]) -> list[RecordedEvent]:
    return [
        RecordedEvent.from_submission(s, position=i, stream_version=i, recorded_at=NOW)
        for i, s in enumerate(subs, 1)
    ]


def test_a_sent_alert_comes_back_delivered_with_its_attempts() -> None:
    events = recorded(
        [
            audit.failed(
                ALERT,
                1,
                "HTTP 503",
                NOW,
                status_code=503,
                permanent=False,
                next_attempt_at=NOW + timedelta(seconds=5),
            ),
            audit.sent(ALERT, 2, 200, NOW),
        ]
    )
    alert = restore_alerts(events)[ALERT.alert_id]
    assert (alert.delivery, alert.attempts, alert.last_status_code) == ("delivered", 2, 200)
    assert alert.alert.subscription == "dm" and alert.alert.case_id == ALERT.case_id


def test_a_retry_that_was_pending_stays_pending_at_its_time() -> None:
    retry_at = NOW + timedelta(minutes=5)
    events = recorded(
        [
            audit.failed(
                ALERT,
                1,
                "refused",
                NOW,
                status_code=None,
                permanent=False,
                next_attempt_at=retry_at,
            )
        ]
    )
    alert = restore_alerts(events)[ALERT.alert_id]
    assert alert.delivery == "pending" and alert.alert.next_attempt_at == retry_at


def test_permanent_failure_acknowledgement_and_escalation_come_back() -> None:
    escalation = escalation_of(ALERT, make_subscription("gm", URL), NOW)
    events = recorded(
        [
            audit.failed(
                ALERT, 1, "HTTP 400", NOW, status_code=400, permanent=True, next_attempt_at=None
            ),
            audit.escalated(ALERT, escalation, NOW),
            audit.sent(escalation, 1, 200, NOW),
            audit.acknowledged(escalation, "gm-1", None, NOW),
        ]
    )
    alerts = restore_alerts(events)
    assert alerts[ALERT.alert_id].status == "failed"
    assert alerts[ALERT.alert_id].escalated_alert_id == escalation.alert_id
    assert alerts[escalation.alert_id].status == "acknowledged"
    assert alerts[escalation.alert_id].alert.escalation_of == ALERT.alert_id
