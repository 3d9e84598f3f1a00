"""``Notifier``: turns finding transitions into durable alerts and delivers them.

The projection calls ``on_findings`` with every finding whose status changed;
enqueueing is idempotent by ``alert_id``, so a restart, rebuild or replay sends
nothing twice. ``run`` delivers due alerts and escalations, waking on enqueue
and at the next due time; delivery state lives in the outbox, never in memory.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from events.findings import Finding
from events.records import RecordedEvent
from infra.clock import Clock
from infra.config.notifier import Subscription
from infra.metrics import Metrics
from infra.store.port import EventStore
from services.notifier import audit
from services.notifier.audit_relay import AuditRelay
from services.notifier.delivery import Deliverer
from services.notifier.domain.alerts import Alert, AlertStatus
from services.notifier.domain.routing import escalation_of, plan_alerts
from services.notifier.errors import (
    AlertNotFound,
    FindingAlreadyResolved,
    FindingNotFound,
    LeaseLost,
)
from services.notifier.lease import DeliveryLease
from services.notifier.ports import AlertQuery, Outbox

log = logging.getLogger("safeguard.notifier")
IDLE = timedelta(seconds=30)
AUDIT_RETRY = timedelta(seconds=1)


class Notifier:
    def __init__(
        self,
        *,
        outbox: Outbox,
        deliverer: Deliverer,
        store: EventStore,
        clock: Clock,
        subscriptions: Sequence[Subscription],
        lease: DeliveryLease,
        max_in_flight: int = 32,
        claim_for: timedelta = timedelta(seconds=60),
        resources: Sequence[Callable[[], Awaitable[None]]] = (),
        metrics: Metrics | None = None,
    ) -> None:
        self._outbox, self._deliverer, self._store, self._clock = outbox, deliverer, store, clock
        self._subs = list(subscriptions)
        self._by_name = {s.name: s for s in subscriptions}
        self._lease = lease
        self._max_in_flight = max_in_flight
        self._claim_for = claim_for
        """How long a claimed alert stays ours: longer than any one send."""
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._starting = asyncio.Lock()
        self._closing = False
        self._stopped = asyncio.Event()
        self._stopped.set()
        """Clear while ``run`` is looping; ``close`` waits for it before closing."""
        self._audit = AuditRelay(outbox, store)
        self._resources = list(resources)
        """Closers of what the composition root opened for us (outbox, HTTP client)."""
        self._failure: BaseException | None = None
        self.restarts = 0
        """How often the supervisor restarted ``run`` after a failure."""
        self._metrics = metrics

    # --- called by the projection ------------------------------------------

    async def on_findings(self, findings: Iterable[Finding]) -> None:
        """Enqueue one alert per (finding transition, matching subscription).

        Idempotent: the same findings again (a rebuild) enqueue nothing new.
        """
        batch = list(findings)
        if not batch:
            return
        alerts = plan_alerts(batch, self._subs, self._clock.now())
        settled = [f.finding_id for f in batch if f.status != "open"]
        added = await self._outbox.enqueue(alerts, [f.to_json() for f in batch], settled)
        if added:
            self._wake.set()

    # --- background delivery ----------------------------------------------

    async def run(self) -> None:
        """Deliver until ``close``: due alerts, due escalations, pending audit.

        Only while this notifier holds the delivery lease does it start sends or
        escalate; otherwise it stands by, trying for the lease every third of
        its ttl. A failed outbox write ends the loop (crash-only); calling
        ``run`` again resumes from the durable outbox, where the alert is still due.
        """
        self._stopped.clear()
        self._failure = None
        try:
            while not self._closing:
                if self._failure is not None:
                    raise self._failure
                self._wake.clear()
                if await self._lease.hold() is not None:
                    await self._start_due()  # first: latency to the receiver matters most
                    await self._escalate_due()
                await self._flush_audit()
                await self._wait_for_work()
        finally:
            self._stopped.set()

    async def deliver_due(self) -> None:
        """One pass, awaited to the end: for tests and one-shot tools."""
        if await self._lease.renew() is None:
            return
        await self._escalate_due()
        await self._start_due()
        await asyncio.gather(*self._in_flight.values())
        await self._flush_audit()

    def wake(self) -> None:
        self._wake.set()

    async def _start_due(self) -> None:
        async with self._starting:  # ``run`` and ``deliver_due`` must not both start one
            free = self._max_in_flight - len(self._in_flight)
            token = self._lease.token
            if free <= 0 or self._closing or token is None:
                return
            now = self._clock.now()
            due = await self._outbox.claim_due(
                token, now, free, self._claim_for, exclude=self._in_flight
            )
            if due:
                self._launch(due, token, await self._outbox.disabled_subscriptions())

    def _launch(self, due: Sequence[Alert], token: int, disabled: Mapping[str, str]) -> None:
        for alert in due:
            work = self._deliver(alert, token, disabled)
            task = asyncio.create_task(work, name=alert.alert_id)
            self._in_flight[alert.alert_id] = task
            task.add_done_callback(self._done)

    def _done(self, task: "asyncio.Task[None]") -> None:
        """A failed outbox write stops ``run`` (crash-only): the alert stays due."""
        alert_id = task.get_name()
        self._in_flight.pop(alert_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery of alert %s crashed", alert_id, exc_info=task.exception())
            self._failure = self._failure or task.exception()
        self._wake.set()

    async def _deliver(self, alert: Alert, token: int, disabled: Mapping[str, str]) -> None:
        record = await self._deliverer.attempt(alert, disabled)
        try:
            await self._outbox.record_attempt(record, token)
        except LeaseLost:
            log.warning(
                "outcome of alert %s not recorded: another notifier holds the lease"
                " and sends it again with the same webhook-id",
                alert.alert_id,
            )
            self._lease.lost(token)
            return
        if self._metrics is not None:
            self._metrics.delivered(record.delivery == "delivered")

    async def _wait_for_work(self) -> None:
        timeout = min(AUDIT_RETRY if self._audit.backlog else IDLE, self._lease.renewal_in())
        if self._lease.token is not None and len(self._in_flight) < self._max_in_flight:
            at = await self._outbox.next_wake(exclude=self._in_flight)
            if at is not None:
                timeout = min(timeout, max(at - self._clock.now(), timedelta(0)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout.total_seconds())

    async def _escalate_due(self) -> None:
        token, now = self._lease.token, self._clock.now()
        if token is None:
            return
        for alert in await self._outbox.due_escalations(now):
            source = self._by_name.get(alert.alert.subscription)
            target = self._by_name.get(source.escalate_to or "") if source else None
            if target is None:
                log.error(
                    "alert %s cannot escalate: its escalation contact is not configured",
                    alert.alert_id,
                )
                await self._outbox.enqueue([], (), [alert.alert.finding_id])
                continue
            escalation = escalation_of(alert.alert, target, now)
            event = audit.escalated(alert.alert, escalation, now)
            try:
                await self._outbox.escalate(alert.alert_id, escalation, now, event, token)
            except LeaseLost:
                self._lease.lost(token)
                return

    async def _flush_audit(self) -> None:
        await self._audit.flush()

    # --- duty managers ------------------------------------------------------

    async def acknowledge(self, alert_id: str, *, by: str, note: str | None = None) -> Alert:
        """Record the first acknowledgement (a repeat is a no-op); stops escalation."""
        alert = await self._outbox.get(alert_id)
        if alert is None:
            raise AlertNotFound(alert_id)
        now = self._clock.now()
        event = audit.acknowledged(alert.alert, by, note, now)
        acked = await self._outbox.acknowledge(alert_id, by, now, event)
        await self._flush_audit()
        assert acked is not None
        return acked

    async def resolve_finding(
        self, finding_id: str, *, by: str, agency: str, reason: str
    ) -> RecordedEvent:
        """Append ``finding.resolved``; the same resolution again returns the first."""
        finding = await self.finding(finding_id)
        existing = await self._store.get(audit.resolved_event_id(finding_id))
        if existing is not None:
            return _same_resolution(existing, by, reason)
        event = audit.finding_resolved(finding, by, agency, reason, self._clock.now())
        result = await self._store.append([event])
        await self._outbox.enqueue([], (), [finding_id])
        return result.events[0]

    async def alerts(
        self, status: AlertStatus | None = None, limit: int = 100, *, concerning: str | None = None
    ) -> list[Alert]:
        """Newest first; with ``concerning``, only alerts whose finding concerns
        that agency (``findings.concerns``), still up to ``limit`` of them."""
        query = AlertQuery(() if status is None else (status,), concerning)
        return await self._outbox.list_alerts(query, limit)

    async def alert_page(self, query: AlertQuery, limit: int, offset: int) -> list[Alert]:
        """One page of a list of alerts, newest first."""
        return await self._outbox.list_alerts(query, limit, offset)

    async def count_alerts(self, query: AlertQuery) -> int:
        return await self._outbox.count_alerts(query)

    async def finding(self, finding_id: str) -> Mapping[str, Any]:
        """The latest JSON of a finding the notifier was given."""
        finding = await self._outbox.finding(finding_id)
        if finding is None:
            raise FindingNotFound(finding_id)
        return finding

    async def alert(self, alert_id: str) -> Alert:
        found = await self._outbox.get(alert_id)
        if found is None:
            raise AlertNotFound(alert_id)
        return found

    async def enable_subscription(self, name: str) -> None:
        """Undo a 410 Gone once the receiver is back; later alerts are sent again."""
        await self._outbox.enable_subscription(name)

    async def close(self) -> None:
        """Stop the loop, let in-flight attempts finish briefly, flush the audit."""
        self._closing = True
        self._wake.set()
        await self._stopped.wait()
        if self._in_flight:
            _, pending = await asyncio.wait(list(self._in_flight.values()), timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self._lease.release()
            await self._flush_audit()
        finally:
            for close in self._resources:
                await close()
            self._resources.clear()


def _same_resolution(existing: RecordedEvent, by: str, reason: str) -> RecordedEvent:
    data: Mapping[str, Any] = existing.data
    if data.get("reason") != reason or data.get("by") != by:
        raise FindingAlreadyResolved(str(data.get("finding_id")))
    return existing
