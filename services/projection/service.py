"""The projection service: follows the stream, keeps every case's joint picture
current, opens findings the moment a deadline passes, and announces each change
of a finding's status to whoever listens (the notifier).

Two things wake it: a batch from the feed, and the clock reaching the next
deadline of any case. Either way the same pure ``evaluate`` decides.
"""

import asyncio
import contextlib
import heapq
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from events.findings import Finding
from events.records import RecordedEvent
from infra.clock import Clock
from infra.feed import EventFeed, FeedBatch
from services.projection.casebook import CaseBook, DegradedCase
from services.projection.repository import ProjectionRepository

if TYPE_CHECKING:
    from services.projection.gauges import ProjectionGauges
    from services.projection.ownership import SharedReads

log = logging.getLogger("safeguard.projection")

#: Longest the deadline timer sleeps at once, so a wall-clock jump is noticed.
MAX_TIMER_SLEEP = 30.0
#: Back-off after a failure of the feed or timer loop, doubling up to the max.
RETRY_FIRST, RETRY_MAX = 0.5, 30.0


class FindingSink(Protocol):
    async def on_findings(self, findings: Sequence[Finding]) -> None:
        """Called with findings whose status changed; must be idempotent."""
        ...


History = Callable[[int], Awaitable[list[RecordedEvent]]]
"""Events up to a checkpoint, to fold at start-up."""


class ProjectionService:
    def __init__(
        self,
        *,
        feed: EventFeed,
        history: History,
        repository: ProjectionRepository,
        casebook: CaseBook,
        clock: Clock,
        sinks: Sequence[FindingSink] = (),
        source: str = "store",
        gauges: "ProjectionGauges | None" = None,
    ) -> None:
        self._feed = feed
        self._history = history
        self._repo = repository
        self.cases = casebook
        self._clock = clock
        self._sinks = list(sinks)
        self._source = source
        self._gauges = gauges
        self._announced: dict[str, str] = {}
        self._deadlines: list[tuple[datetime, str]] = []
        self._next_due: dict[str, datetime] = {}
        """Each case's next deadline; heap entries that disagree are stale."""
        self._timer_wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self.turn = asyncio.Lock()
        """Taken by each batch, deadline tick and rebalance, so they never interleave."""
        self.reads: SharedReads | None = None
        """Set when partitioned: reads of any case, owned here or not."""
        self.position = 0
        self.seen = 0
        self.failures = 0
        casebook.watch(self._on_degraded)

    def now(self) -> datetime:
        return self._clock.now()

    def add_sink(self, sink: FindingSink) -> None:
        self._sinks.append(sink)

    async def start(self) -> None:
        """Fold the history and announce whatever changed while we were down."""
        self.position = self._repo.checkpoint(self._source)
        events = await self._history(self.position)
        self.cases.load(events)
        self.seen = len(events)
        self._announced = self._repo.announced()
        await self._settle(list(self.cases.case_ids()))
        if self._gauges is not None:
            now = self._clock.now()
            self._gauges.changed(
                f for case_id in self.cases.case_ids() for f in self.cases.findings(case_id, now)
            )

    def _on_degraded(self, case: DegradedCase) -> None:
        """One case could not be folded or evaluated: say so, and carry on with the rest."""
        log.error(
            "case degraded: its picture and findings are not shown",
            extra={"case_id": case.case_id, **case.to_json()},
        )
        if self._gauges is not None:
            self._gauges.degraded(len(self.cases.degraded()))

    async def run(self) -> None:
        """Consume the feed and the clock until cancelled, each resumed after a failure."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._supervised("feed", self._consume))
            group.create_task(self._supervised("deadline timer", self._timer))

    async def handle(self, batch: FeedBatch) -> None:
        """Read model, then announcements, then the ack: a crash before the ack
        redelivers the batch, which the read model and the outbox both drop.
        A batch fetched before a rebalance is dropped unacked: its partitions'
        owner now is redelivered it."""
        async with self.turn:
            if batch.current():
                await self._handle(batch)

    async def _handle(self, batch: FeedBatch) -> None:
        if self._repo.keep_events:
            partitions = batch.case_partitions()
            saved = await asyncio.to_thread(self._repo.save, batch.events, self._source, partitions)
        else:  # nothing to write but, once a second, the checkpoint: no thread hop
            saved = self._repo.save(batch.events, self._source)
        fresh = [event for event in saved if self.cases.apply(event)]
        self.seen += len(fresh)
        await self._settle({event.case_id for event in fresh})
        await batch.ack()
        await self._advance(batch.events)
        if self._gauges is not None:
            await self._gauges.caught_up_to(self.position)

    async def wait_for(self, position: int) -> None:
        """Block until events up to ``position`` are in the picture; callers bound
        the wait with ``asyncio.timeout``."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.position >= position)

    async def tick(self) -> None:
        """Evaluate every case whose next deadline has passed."""
        async with self.turn:
            await self._tick()

    async def readable(self, case_id: str | None = None) -> CaseBook:
        """The cases a read answers from: this projection's own or, when the
        feed is partitioned, one case (or all) from the shared read model."""
        return self.cases if self.reads is None else await self.reads.book(case_id)

    def forget(self, case_ids: Iterable[str]) -> int:
        """Drop cases another member now owns, and their timers; how many were held."""
        held = [case_id for case_id in case_ids if case_id in self.cases]
        self.cases.evict(held)
        for case_id in held:
            self._next_due.pop(case_id, None)  # its heap entries are stale now
        return len(held)

    async def adopt(self, events: list[RecordedEvent]) -> None:
        """Take over cases with their whole history; announce what changed while
        nobody owned them and arm their timers."""
        await asyncio.to_thread(self.cases.load, events)  # under the turn: nothing else reads
        self._announced = await asyncio.to_thread(self._repo.announced)
        await self._settle({event.case_id for event in events})

    async def _tick(self) -> None:
        now = self._clock.now()
        due: set[str] = set()
        while self._deadlines and self._deadlines[0][0] <= now:
            at, case_id = heapq.heappop(self._deadlines)
            if self._next_due.get(case_id) == at:
                del self._next_due[case_id]
                due.add(case_id)
        if due:
            await self._settle(due)

    async def _supervised(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Findings must not stop because the store or broker blinked: log, wait,
        re-announce whatever may have been missed, and carry on."""
        delay = RETRY_FIRST
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures += 1
                log.exception("projection %s failed; resuming in %.0fs", name, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                try:
                    async with self.turn:
                        await self._settle(list(self.cases.case_ids()))
                except Exception:  # logged; the next failure or event tries again
                    log.exception("projection could not re-announce findings")

    async def _consume(self) -> None:
        async for batch in self._feed.batches(self.position + 1):
            await self.handle(batch)

    async def _timer(self) -> None:
        while True:
            delay = MAX_TIMER_SLEEP
            if self._deadlines:
                wait = (self._deadlines[0][0] - self._clock.now()).total_seconds()
                delay = min(max(wait, 0.0), MAX_TIMER_SLEEP)
            self._timer_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timer_wake.wait(), delay)
            await self.tick()

    async def _advance(self, events: Iterable[RecordedEvent]) -> None:
        top = max((event.position for event in events), default=0)
        if top > self.position:
            async with self._progress:
                self.position = top
                self._progress.notify_all()

    async def _settle(self, case_ids: Iterable[str]) -> None:
        """Announce findings whose status changed and schedule the next deadlines."""
        now = self._clock.now()
        changed: list[Finding] = []
        for case_id in case_ids:
            changed += self.cases.changed(case_id, now, self._announced)
            self._schedule(case_id, now)
        if not changed:
            return
        for sink in self._sinks:
            await sink.on_findings(changed)
        statuses: dict[str, str] = {f.finding_id: f.status for f in changed}
        await asyncio.to_thread(self._repo.mark_announced, statuses)
        self._announced.update(statuses)
        if self._gauges is not None:
            self._gauges.changed(changed)
        for finding in changed:
            log.info(
                "finding %s",
                finding.status,
                extra={
                    "finding_id": finding.finding_id,
                    "rule": finding.rule,
                    "case_id": finding.case_id,
                },
            )

    def _schedule(self, case_id: str, now: datetime) -> None:
        due = self.cases.next_deadline(case_id, now)
        if due is None:
            self._next_due.pop(case_id, None)
            return
        if self._next_due.get(case_id) == due:
            return  # already in the heap
        self._next_due[case_id] = due
        soonest = self._deadlines[0][0] if self._deadlines else None
        heapq.heappush(self._deadlines, (due, case_id))
        if soonest is None or due < soonest:
            self._timer_wake.set()
