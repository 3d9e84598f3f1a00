"""Who hears about a finding: subscription filters, suppression and escalation.

The domain reads subscriptions through the small ``Subscription`` protocol rather
than importing ``infra.config``: the configured subscription (or any object of
this shape) will do.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from events.findings import SEVERITY_ORDER, Finding
from services.notifier.domain.alerts import NewAlert, alert_id_for, escalation_id_for


class Subscription(Protocol):
    """What routing needs of a subscription: its name, its filters and its escalation."""

    @property
    def name(self) -> str: ...
    @property
    def agencies(self) -> Sequence[str] | None: ...
    @property
    def rules(self) -> Sequence[str] | None: ...
    @property
    def case_ids(self) -> Sequence[str] | None: ...
    @property
    def min_severity(self) -> str | None: ...
    @property
    def escalation_delay(self) -> timedelta | None: ...


def matches(sub: Subscription, finding: Finding) -> bool:
    """Every filter given must pass; an omitted filter passes everything."""
    if sub.agencies is not None and not set(sub.agencies) & set(finding.concerns_agencies):
        return False
    if sub.rules is not None and finding.rule not in sub.rules:
        return False
    if sub.case_ids is not None and finding.case_id not in sub.case_ids:
        return False
    if sub.min_severity is None:
        return True
    return SEVERITY_ORDER[finding.severity] >= SEVERITY_ORDER[sub.min_severity]


def plan_alerts(
    findings: Iterable[Finding], subscriptions: Sequence[Subscription], now: datetime
) -> list[NewAlert]:
    """One alert per (finding transition, matching subscription).

    A historical finding (bulk import) is recorded as suppressed: it pages
    nobody, yet the outbox shows it was considered.
    """
    return [
        _alert(finding, sub, now)
        for finding in findings
        for sub in subscriptions
        if matches(sub, finding)
    ]


def _alert(finding: Finding, sub: Subscription, now: datetime) -> NewAlert:
    delay = sub.escalation_delay
    escalates = delay is not None and finding.status == "open" and not finding.historical
    return NewAlert(
        alert_id=alert_id_for(finding.finding_id, finding.status, sub.name),
        finding_id=finding.finding_id,
        case_id=finding.case_id,
        rule=finding.rule,
        transition=finding.status,
        subscription=sub.name,
        finding=finding.to_json(),
        created_at=now,
        next_attempt_at=None if finding.historical else now,
        escalate_at=now + delay if escalates and delay is not None else None,
        suppressed=finding.historical,
    )


def escalation_of(original: NewAlert, to: Subscription, now: datetime) -> NewAlert:
    """A new alert to the escalation contact, itself escalating along the chain."""
    delay = to.escalation_delay
    return NewAlert(
        alert_id=escalation_id_for(original.alert_id, to.name),
        finding_id=original.finding_id,
        case_id=original.case_id,
        rule=original.rule,
        transition=original.transition,
        subscription=to.name,
        finding=original.finding,
        created_at=now,
        next_attempt_at=now,
        escalate_at=None if delay is None else now + delay,
        escalation_of=original.alert_id,
    )
