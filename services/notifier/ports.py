"""The notifier's ports: its durable outbox and the webhook sender.

The outbox is the single source of truth for delivery state; each write that
changes an alert also stores the audit event describing it, in one
transaction, so the stream can be brought up to date after any crash.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from events.records import Submission
from infra.webhooks.httpx_sender import SendOutcome
from services.notifier.domain.alerts import Alert, AlertStatus, DeliveryState, NewAlert


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """The outcome of one delivery attempt, written atomically with its audit event."""

    alert_id: str
    attempt: int
    delivery: DeliveryState
    at: datetime
    audit: Submission
    next_attempt_at: datetime | None = None
    error: str | None = None
    status_code: int | None = None
    disable_subscription: str | None = None
    """Set on 410 Gone: the subscription is disabled in the same transaction."""


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """Which alerts a list shows: those in any of ``statuses`` (none given: every
    status) and, for a duty manager, only those whose finding concerns the agency
    ``concerning`` (``findings.concerns``)."""

    statuses: tuple[AlertStatus, ...] = ()
    concerning: str | None = None


class Outbox(Protocol):
    async def enqueue(
        self,
        alerts: Sequence[NewAlert],
        findings: Sequence[Mapping[str, Any]] = (),
        cancel_escalations: Iterable[str] = (),
    ) -> int:
        """Insert alerts not already held (by ``alert_id``), remember the latest
        JSON of each finding, and stop pending escalations for the given finding
        ids, in one transaction; returns how many alerts were new."""
        ...

    async def acquire_or_renew(self, owner: str, ttl: timedelta, now: datetime) -> int | None:
        """The delivery lease's fencing token if ``owner`` holds it for ``ttl``
        from ``now``: renewed if already ours, taken with the next token if free
        or expired; None while another notifier holds it. One transaction."""
        ...

    async def release_lease(self, owner: str) -> None:
        """On a clean stop: a standby may take over without waiting out the ttl."""
        ...

    async def claim_due(
        self,
        token: int,
        now: datetime,
        limit: int,
        claim_for: timedelta,
        exclude: Iterable[str] = (),
    ) -> list[Alert]:
        """Pending alerts whose next attempt is due, earliest first, marked in
        flight under ``token`` until ``now + claim_for`` in one atomic step; none
        unless ``token`` holds an unexpired lease. A claim left by a dead sender
        falls due again when it runs out or the lease changes hands."""
        ...

    async def record_attempt(self, record: AttemptRecord, token: int) -> None:
        """Store an attempt's outcome and its audit event in one transaction;
        ``LeaseLost``, storing nothing, if ``token`` is no longer current."""
        ...

    async def due_escalations(self, now: datetime) -> list[Alert]:
        """Alerts past ``escalate_at`` with no acknowledgement or escalation yet."""
        ...

    async def escalate(
        self, alert_id: str, escalation: NewAlert, at: datetime, audit: Submission, token: int
    ) -> None:
        """Enqueue the escalation alert and mark the original escalated, atomically;
        ``LeaseLost``, storing nothing, if ``token`` is no longer current."""
        ...

    async def acknowledge(
        self, alert_id: str, by: str, at: datetime, audit: Submission
    ) -> Alert | None:
        """Record the first acknowledgement; a repeat returns the alert unchanged.
        None if there is no such alert."""
        ...

    async def next_wake(self, exclude: Iterable[str] = ()) -> datetime | None:
        """The earliest next attempt or escalation time, if any."""
        ...

    async def get(self, alert_id: str) -> Alert | None: ...

    async def list_alerts(self, query: AlertQuery, limit: int, offset: int = 0) -> list[Alert]:
        """Newest first; ``offset`` skips that many, for reading page by page. The
        filter runs in the outbox, so a page costs its own rows, not every alert."""
        ...

    async def count_alerts(self, query: AlertQuery) -> int:
        """How many alerts ``query`` matches, for page counts."""
        ...

    async def finding(self, finding_id: str) -> Mapping[str, Any] | None:
        """The latest JSON of a finding the notifier was given, or None."""
        ...

    async def alerts_for_finding(self, finding_id: str) -> list[Alert]: ...

    async def disabled_subscriptions(self) -> Mapping[str, str]:
        """Name to reason, for subscriptions a receiver disabled with 410 Gone."""
        ...

    async def enable_subscription(self, name: str) -> None: ...

    async def needs_restore(self) -> bool:
        """True for a new, empty outbox never restored from the stream."""
        ...

    async def restore(self, alerts: Sequence[Alert]) -> None:
        """Insert alerts rebuilt from the audit stream, once, and remember it."""
        ...

    async def add_audit(self, audit: Submission) -> None: ...

    async def pending_audit(self, limit: int) -> list[tuple[int, Submission]]:
        """Audit events stored but not yet confirmed appended, oldest first."""
        ...

    async def mark_audited(self, seqs: Sequence[int]) -> None: ...

    async def close(self) -> None: ...


class WebhookSender(Protocol):
    async def send(
        self, url: str, body: bytes, headers: Mapping[str, str], *, allow_private: bool = False
    ) -> SendOutcome:
        """POST a signed body; transport failures, and a destination that resolves
        to a private address when ``allow_private`` is off, come back as
        outcomes, not raised."""
        ...

    async def close(self) -> None: ...
