"""The JSON a duty manager's system receives.

The body names the alert (also the ``webhook-id`` header), the attempt, the
case picture link, the console's case and alert pages, and the finding as it
stood at this transition.
"""

from typing import Any
from urllib.parse import quote

from services.notifier.domain.alerts import NewAlert

_TYPES = {"open": "finding.opened", "met_late": "finding.met_late", "resolved": "finding.resolved"}


def picture_url(base_url: str, case_id: str) -> str:
    return f"{base_url.rstrip('/')}/cases/{quote(case_id, safe='')}/picture"


def console_url(base_url: str, case_id: str) -> str:
    """The case page in the web console: a person signs in there, not with a key."""
    return f"{base_url.rstrip('/')}/console/cases/{quote(case_id, safe='')}"


def ack_url(base_url: str, alert_id: str) -> str:
    """The alert's console page, with its acknowledge form (the API: ``POST /alerts/{id}/ack``)."""
    return f"{base_url.rstrip('/')}/console/alerts/{quote(alert_id, safe='')}"


def alert_body(alert: NewAlert, attempt: int, base_url: str) -> dict[str, Any]:
    return {
        "type": "finding.escalated" if alert.escalation_of else _TYPES[alert.transition],
        "alert_id": alert.alert_id,
        "attempt": attempt,
        "subscription": alert.subscription,
        "escalation_of": alert.escalation_of,
        "case_id": alert.case_id,
        "case_picture_url": picture_url(base_url, alert.case_id),
        "console_url": console_url(base_url, alert.case_id),
        "ack_url": ack_url(base_url, alert.alert_id),
        "finding": dict(alert.finding),
    }
