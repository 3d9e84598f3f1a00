"""The projection service: follows the stream, keeps every case's joint picture
current, opens findings the moment a deadline passes, and announces each change
of a finding's status to whoever listens (the notifier).

Two things wake it: a batch from the feed, and the clock reaching the next
deadline of any case. Either way the same pure ``evaluate`` decides.
"""

import asyncio
import contextlib
import gc
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from events.findings import Finding
from events.records import RecordedEvent
from events.sharing import Words
from infra.clock import Clock
from infra.feed import EventFeed, FeedBatch
from infra.turns import give_way
from services.projection.casebook import CachedCase, CaseBook, DegradedCase
from services.projection.domain.evaluate import evaluate, next_deadline
from services.projection.domain.identity import Regrouping
from services.projection.domain.state import CaseState
from services.projection.links import LinkedCases
from services.projection.ownership import fold_unowned
from services.projection.readmodel import (
    CaseSnapshot,
    FindingStatusFilter,
    LoadedCase,
    ModelChange,
    OpenFilter,
    Page,
    Partitions,
    ReadModel,
)

if TYPE_CHECKING:
    from services.projection.gauges import ProjectionGauges

log = logging.getLogger("safeguard.projection")
T = TypeVar("T")

#: Back-off after a failure of the feed or timer loop, doubling up to the max.
RETRY_FIRST, RETRY_MAX = 0.5, 30.0


class FindingSink(Protocol):
    async def on_findings(self, findings: Sequence[Finding]) -> None:
        """Called with findings whose status changed; must be idempotent."""
        ...


FLUSH_EVERY = 1.0
"""Seconds between snapshot writes (with the checkpoint), as a Kafka Streams
commit interval: a crash refolds about this much from the feed."""
RECOUNT_EVERY = 60.0
"""Seconds between counts of the open findings in the model (for the gauge);
each announcement moves the gauge in between."""
FLUSH_SHARE = 0.1
"""At most this share of the time goes on snapshot writes: a write that took
``t`` seconds defers the next by ``t / FLUSH_SHARE`` (a catch-up dirties every
case it touches, and a snapshot is the whole case)."""
SLICE = 0.01
"""Seconds of folding between yields to the event loop, so a big batch never
keeps readers waiting long: a sleeper waits out at most the slice running when
it falls due, since each yield gives way behind whatever is already due
(``give_way``; with ``sleep(0)`` it waited out three: 26-28 ms at 10M events).
Slices of 5 ms, tried before that fix, went with half the rate of loading cases
in two 10M runs (docs/benchmarks.md, third and fourth passes)."""
LET_GO = 20
"""Cases freed between yields to the loop (``let_go``): about 2 ms of freeing."""
WRITE_CASES = 500
"""Snapshots per transaction of a write: a flush at 10M events, deferred while
the last one wrote (``FLUSH_SHARE``), could hold every cached case's snapshot,
findings and rows at once, and the resident memory with a full cache varied by
10% from run to run with it."""
LOAD_AHEAD = 50
"""Cases loaded from the model at a time, as a batch reaches them: loaded all at
once, a page of 1,000 events for as many uncached cases held every one of their
histories beside a full cache (1.54 GiB at 10M against 1.41, when loading was slow
and pages came full)."""
DUE_PAGE = 500
"""Cases whose deadline passed, evaluated per read of the deadlines table."""

Refetch = Callable[[str], Awaitable[list[RecordedEvent]]]
"""One case's events from the store: to refold a case left degraded by a
previous run, the only case whose snapshot is not kept."""


class ProjectionService:
    def __init__(
        self,
        *,
        feed: EventFeed,
        model: ReadModel,
        casebook: CaseBook,
        clock: Clock,
        sinks: Sequence[FindingSink] = (),
        source: str = "store",
        gauges: "ProjectionGauges | None" = None,
        refetch: Refetch | None = None,
    ) -> None:
        self._feed = feed
        self._model = model
        self.cases = casebook
        self.links = LinkedCases(casebook)
        """Each event folds into its joint case (``domain.identity``): the case book,
        the cache and the read model are keyed by joint case id."""
        self._retired: set[str] = set()
        """Joint cases a link merged into another: their rows go with the next checkpoint."""
        self._clock = clock
        self._sinks = list(sinks)
        self._source = source
        self._gauges = gauges
        self._refetch = refetch
        self._words = Words()
        self._turn = asyncio.Lock()
        """One writer of the case book and the model at a time: the feed, the
        timer, a flush, or a read that loads a case."""
        self._next_flush = time.monotonic() + FLUSH_EVERY
        self._next_count = 0.0
        self._set_aside: list[DegradedCase] = []
        self._open: Counter[str] = Counter()
        """Open findings by severity: the model's at each checkpoint, moved by
        each announcement in between (for the gauges)."""
        self._timer_wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self.owned: Partitions = None
        """The feed partitions whose cases this member folds, times and announces
        (``ownership.py``); None: every case (the only consumer)."""
        self.position = 0
        self.seen = 0
        self.failures = 0
        casebook.watch(self._on_degraded)

    def now(self) -> datetime:
        return self._clock.now()

    def add_sink(self, sink: FindingSink) -> None:
        self._sinks.append(sink)

    async def start(self) -> None:
        """Resume from the saved model: the checkpoint, the linker's inputs, plus
        (fed from Kafka) the cases whose kept events no snapshot includes yet. No
        history is refolded:
        the feed delivers what came after the checkpoint, and the timer finds
        whatever came due meanwhile in the deadlines table."""
        # what the process made so far (its imports, then the linker's entries) is
        # frozen: a full collection over it held the loop 35-58 ms at start
        settle_heap()
        self.position = await asyncio.to_thread(self._model.checkpoint, self._source)
        # pure Python, but off the loop: at 100,000 cases it held the loop 0.18 s,
        # and nothing else reads the links before start returns
        await asyncio.to_thread(lambda: self.links.restore(self._model.link_inputs()))
        settle_heap()
        behind = self._joint(await asyncio.to_thread(self._model.unflushed_cases, self.owned))
        for first in range(0, len(behind), DUE_PAGE):
            page = behind[first : first + DUE_PAGE]
            async with self._turn:
                await self._process(page, self._clock.now())
        async with self._turn:
            await self._write(ModelChange(), flush=True)

    async def stop(self) -> None:
        """Write every changed snapshot with the checkpoint, and hand the frozen
        heap back to the collector (it may hold other code's garbage cycles)."""
        async with self._turn:
            await self._write(ModelChange(), flush=True)
        gc.unfreeze()

    def _on_degraded(self, case: DegradedCase) -> None:
        """One case could not be folded or evaluated: say so, and carry on with the rest."""
        self._set_aside.append(case)
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
        async with self._turn:
            if not batch.current():
                return
            fresh = batch.events
            if self._model.keep_events:  # new to the model: a case loaded may fold them first
                fresh = await asyncio.to_thread(
                    self._model.save_events, batch.events, batch.partitions
                )
            # every case of the batch, even with nothing fresh: a redelivered batch's
            # previous owner may have kept its events but died before announcing
            every = [event.case_id for event in batch.events]
            applied = await self._fold(fresh, self._clock.now(), every)
            self.seen += len(fresh) if self._model.keep_events else applied
            top = max((event.position for event in batch.events), default=0)
            self.position = max(self.position, top)
            await batch.ack()  # before a revoke waiting on the turn hands the partitions on
        async with self._progress:
            self._progress.notify_all()
        if self._gauges is not None:
            await self._gauges.caught_up_to(self.position)

    async def _fold(
        self, events: Sequence[RecordedEvent], now: datetime, every: Sequence[str] = ()
    ) -> int:
        """Fold ``events`` into their joint cases, then evaluate each case touched
        once. An event that links or unlinks cases regroups the joint cases it
        changed at once, from every event of their members; each event of the batch
        then goes to its joint case as linked at the end (one it already holds is
        dropped); the cases of ``every`` are evaluated too. Returns the events that
        were new. Caller holds ``_turn``."""
        regrouped: dict[str, None] = {}
        refolded: set[str] = set()
        for event in events:
            change = self.links.observe(event)
            if change is not None:
                refolded |= await self._regroup(change, event)
                regrouped.update(dict.fromkeys(change.groups))
        if regrouped:  # snapshots of cases a regroup evicted, before any is loaded again
            await self._write(ModelChange(), checkpoint=False)
        by_case: dict[str, list[RecordedEvent]] = {}
        for event in events:
            by_case.setdefault(self.links.joint_id(event.case_id), []).append(event)
        touched = self._joint([*by_case, *regrouped, *every])
        return await self._process(touched, now, by_case, forced=bool(regrouped), refolded=refolded)

    async def _regroup(self, change: Regrouping, event: RecordedEvent) -> set[str]:
        """Drop the joint cases ``change`` retired and fold each new one from every
        event of its members; findings keep their ids and announced statuses.
        Returns the ids of events new to the cases, folded here."""
        loaded = await asyncio.to_thread(self._model.load, sorted(change.retired))
        announced = {k: v for case in loaded for k, v in case.announced.items()}
        held: list[RecordedEvent] = [event]
        for retired in change.retired:
            events, said = self.cases.release(retired)
            held += events
            announced.update(said)
        members = sorted({case for group in change.groups.values() for case in group})
        fetched = await self._events_of(members)
        events = held if fetched is None else [*fetched, event]
        self._retired |= change.retired - change.groups.keys()
        self._retired -= change.groups.keys()
        for joint_id, group in change.groups.items():
            mine = list({e.event_id: e for e in events if e.case_id in group}.values())
            self.cases.regroup(joint_id, group, mine, announced)
        return {e.event_id for e in events} - {e.event_id for e in held[1:]}

    async def _events_of(self, case_ids: Sequence[str]) -> list[RecordedEvent] | None:
        """Every event of ``case_ids``: kept from Kafka, or read again from the
        store; None if this service can do neither (its cached states then serve)."""
        if self._model.keep_events:
            return await asyncio.to_thread(self._model.kept_events, case_ids)
        if self._refetch is None:
            return None
        return [event for case_id in case_ids for event in await self._folded_so_far(case_id)]

    def _joint(self, case_ids: Iterable[str]) -> list[str]:
        """The joint cases of ``case_ids``, each once, in order."""
        return list(dict.fromkeys(self.links.joint_id(case_id) for case_id in case_ids))

    async def wait_for(self, position: int) -> None:
        """Block until events up to ``position`` are in the picture; callers bound
        the wait with ``asyncio.timeout``."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.position >= position)

    async def tick(self) -> None:
        """Evaluate every case whose next deadline has passed, cached or not, a
        page of the deadlines table at a time; write snapshots if one is due."""
        async with self._turn:
            now = self._clock.now()
            await self._fire_due(now, self.owned)
            await self._write(ModelChange())

    async def _fire_due(self, now: datetime, partitions: Partitions) -> None:
        """Evaluate the cases (of ``partitions``) whose deadline passed, a page at a time."""
        while due := await asyncio.to_thread(self._model.due, now, DUE_PAGE, partitions):
            await self._process(self._joint(due), now, forced=True)
            if len(due) < DUE_PAGE:
                break

    async def sync(self) -> None:
        """Write what changed, so a query of the model sees every event applied."""
        async with self._turn:
            await self._write(ModelChange(), flush=True)

    async def read(self, case_id: str, compute: Callable[[CaseState], T]) -> T:
        """``compute`` of the case, loaded from the model if not cached;
        ``KeyError`` if unknown, ``CaseUnavailable`` if degraded."""
        case_id = self.links.joint_id(case_id)
        if case_id not in self.cases and not await self._owns(case_id):
            return await fold_unowned(self._load, self.cases.policy, case_id, compute)
        if case_id not in self.cases:
            async with self._turn:
                await self._ensure([case_id])
                await self._write(ModelChange())
        return self.cases.read(case_id, compute)

    async def _owns(self, case_id: str) -> bool:
        if self.owned is None:
            return True
        found = await asyncio.to_thread(self._model.partitions_of, [case_id])
        return case_id in found and found[case_id] in self.owned

    async def release(self, partitions: frozenset[int]) -> int:
        """Revoke hook (``ownership.py``), once the batch in hand is done: write
        every changed case, then forget the cases on ``partitions`` (their next
        owner loads them from the model); how many were cached."""
        async with self._turn:
            self.owned = (self.owned or frozenset()) - partitions
            await self._write(ModelChange(), flush=True)
            cached = list(self.cases.case_ids())
            on = await asyncio.to_thread(self._model.partitions_of, cached)
            gone = [case_id for case_id in cached if on.get(case_id) in partitions]
            for first in range(0, len(gone), LET_GO):  # each case freed as it goes
                self.cases.evict(gone[first : first + LET_GO])
                await give_way()
        return len(gone)

    async def take(self, partitions: frozenset[int]) -> None:
        """Assign hook (``ownership.py``), before the partitions' first event:
        announce what changed in their cases while nobody owned them (deadlines
        that passed; events kept but never folded, after a reset), loading only
        those cases; the rest load when first touched."""
        async with self._turn:
            self.owned = (self.owned or frozenset()) | partitions
            now = self._clock.now()
            behind = await asyncio.to_thread(self._model.unflushed_cases, partitions)
            for first in range(0, len(behind), DUE_PAGE):
                await self._process(behind[first : first + DUE_PAGE], now)
            await self._fire_due(now, partitions)
            await self._write(ModelChange())
        self._timer_wake.set()  # their deadlines are this member's to time now

    async def cases_page(
        self,
        *,
        limit: int,
        after: str | None,
        agency: str | None,
        wanted: OpenFilter,
        offset: int = 0,
    ) -> Page:
        await self.sync()
        return await asyncio.to_thread(
            lambda: self._model.cases_page(
                limit=limit, after=after, agency=agency, open_filter=wanted, offset=offset
            )
        )

    async def open_findings_of(
        self, case_ids: Sequence[str], wanted: OpenFilter
    ) -> list[tuple[str, str, str]]:
        return await asyncio.to_thread(self._model.open_findings_of, case_ids, wanted)

    async def count_cases(self, wanted: OpenFilter) -> int:
        await self.sync()
        return await asyncio.to_thread(self._model.count_cases, wanted)

    async def findings_page(
        self,
        *,
        limit: int,
        after: str | None,
        agency: str | None,
        status: FindingStatusFilter | None,
    ) -> tuple[Page, list[dict[str, Any]]]:
        """A page of findings and every degraded case."""
        await self.sync()

        def query() -> tuple[Page, list[dict[str, Any]]]:
            page = self._model.findings_page(limit=limit, after=after, agency=agency, status=status)
            return page, self._model.degraded_cases()

        return await asyncio.to_thread(query)

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
                    async with self._turn:
                        await self._settle(list(self.cases.case_ids()), self._clock.now())
                except Exception:  # logged; the next failure or event tries again
                    log.exception("projection could not re-announce findings")

    async def _consume(self) -> None:
        async for batch in self._feed.batches(self.position + 1):
            await self.handle(batch)

    async def _timer(self) -> None:
        while True:
            delay = FLUSH_EVERY
            soonest = await asyncio.to_thread(self._model.soonest_deadline, self.owned)
            if soonest is not None:
                wait = (soonest - self._clock.now()).total_seconds()
                delay = min(max(wait, 0.0), FLUSH_EVERY)
            self._timer_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._timer_wake.wait(), delay)
            await self.tick()

    async def _ensure(self, case_ids: Sequence[str]) -> None:
        """Make sure each case is in the book, loaded from the model if not."""
        await self._process(case_ids, self._clock.now(), settle=False)

    async def _process(
        self,
        case_ids: Sequence[str],
        now: datetime,
        events: Mapping[str, list[RecordedEvent]] | None = None,
        *,
        forced: bool = False,
        settle: bool = True,
        refolded: set[str] | None = None,
    ) -> int:
        """Per case: load it from the model if not cached (``LOAD_AHEAD`` at a time,
        as the batch reaches them), fold its ``events`` in, then collect its changed findings and
        next deadline; then announce and write; returns the events that were
        new. One case at a time, so a cache smaller than the batch evicts only
        cases already done. ``forced``: the cases' deadline rows are rewritten
        whatever they said. Caller holds ``_turn``."""
        missing = list(dict.fromkeys(c for c in case_ids if c not in self.cases))
        loaded: dict[str, LoadedCase] = {}
        change, changed, applied = ModelChange(), list[Finding](), 0
        slices = Slices()
        for case_id in case_ids:
            await slices.between()  # let readers in between cases
            if case_id not in self.cases and case_id not in loaded:
                if missing and missing[0] == case_id:  # it and the next few not cached
                    ahead, missing = missing[:LOAD_AHEAD], missing[LOAD_AHEAD:]
                else:  # evicted meanwhile: its snapshot first
                    ahead = [case_id]
                    await self._write(ModelChange(), checkpoint=False)
                loaded.update((case.case_id, case) for case in await self._load(ahead))
            members, folded = self.links.linker.members(case_id), refolded or set()
            if case_id in loaded:
                case = loaded.pop(case_id)
                folded = folded | {event.event_id for event in case.later}  # new, though folded
                self.cases.admit(case, members)
            for event in (events or {}).get(case_id, ()):
                applied += self.cases.apply(event, case_id, members) or event.event_id in folded
            if settle:
                self._collect(case_id, now, change, changed, forced)
        await self._announce(changed, change)
        settle_heap()
        return applied

    async def _load(self, case_ids: list[str]) -> list[LoadedCase]:
        """Each case's snapshot; a joint case of several cases is folded afresh from
        every event of its members (its snapshot may predate a link)."""
        found = await asyncio.to_thread(self._model.load, case_ids)
        for index, case in enumerate(found):
            members = self.links.linker.members(case.case_id)
            if len(members) > 1:
                if (events := await self._events_of(sorted(members))) is not None:
                    found[index] = replace(case, later=events, degraded=None)
            elif self._refetch is not None and (case.stored or case.degraded):
                found[index] = replace(case, later=await self._folded_so_far(case.case_id))
            for event in found[index].later:  # the cache keeps them: one copy of each word
                self._words.share(event.data)
            settle_heap()  # a page of loads is many objects: none for a full collection
        return found

    async def _folded_so_far(self, case_id: str) -> list[RecordedEvent]:
        """The case's events from the store, up to the position this projection
        has handled: later ones arrive through the feed, in their turn."""
        assert self._refetch is not None
        return [event for event in await self._refetch(case_id) if event.position <= self.position]

    def _collect(
        self, case_id: str, now: datetime, change: ModelChange, changed: list[Finding], forced: bool
    ) -> None:
        cached = self.cases.cached(case_id)
        if cached is None:  # unknown or degraded: nothing is due
            change.deadlines[case_id] = None
            return
        found = self.cases.changed(case_id, now, cached.announced)
        if found:
            changed += found
            cached.dirty = True
        due = self.cases.next_deadline(case_id, now)
        if due != cached.due or forced:
            change.deadlines[case_id] = cached.due = due
            if due is not None:
                self._timer_wake.set()

    async def _settle(self, case_ids: Iterable[str], now: datetime) -> None:
        """Announce what changed in cached cases (after a failure)."""
        change, changed = ModelChange(), list[Finding]()
        for case_id in case_ids:
            self._collect(case_id, now, change, changed, False)
        await self._announce(changed, change)

    async def _announce(self, changed: list[Finding], change: ModelChange) -> None:
        if changed:
            for sink in self._sinks:
                await sink.on_findings(changed)
            for finding in changed:
                cached = self.cases.cached(finding.case_id)
                if cached is not None:
                    was = cached.announced.get(finding.finding_id)
                    self._open[finding.severity] += (finding.status == "open") - (was == "open")
                    cached.announced[finding.finding_id] = finding.status
                    if cached.written is not None:  # the announcement rewrites its row
                        cached.written[finding.finding_id] = hash(finding)
            change.announced = changed
            # recorded before any snapshot write, and logged once recorded
            await self._write(change, checkpoint=False)
            _log_changes(changed)
            change = ModelChange()
        await self._write(change)

    async def _write(
        self, change: ModelChange, *, flush: bool = False, checkpoint: bool = True
    ) -> None:
        """Write ``change`` with the snapshots of cases evicted while dirty and,
        about once a second (``FLUSH_EVERY``, ``FLUSH_SHARE``) or when ``flush``,
        of every changed case with the checkpoint; never the checkpoint when
        told not to (mid-batch, some kept events are not folded yet). Cases are
        evaluated on the loop, in slices, and only the SQL runs in a worker thread:
        evaluating there, it fought the loop for the GIL (stalls of 50-100 ms
        beside the store's writer thread)."""
        dirty = self.cases.take_evicted()
        set_aside, self._set_aside = self._set_aside, []
        started = time.monotonic()
        flushing = checkpoint and (flush or started >= self._next_flush)
        if flushing:
            dirty += self.cases.dirty()
            change.checkpoint = (self._source, self.position)
            change.retired = sorted(self._retired)
            change.links = self.links.take_pending()
            change.count_open = started >= self._next_count
            if change.count_open:
                self._next_count = started + RECOUNT_EVERY
        if not (change or dirty or set_aside):
            return
        now = self._clock.now()

        failed: list[str] = []
        # Many snapshots go ahead in transactions of their own, unless the order
        # matters: announcements are recorded before any snapshot, and merged cases
        # retired before the joint case's snapshot. A snapshot ahead of the
        # checkpoint is what an evicted case's already is.
        ahead = ModelChange() if not (change.announced or change.retired) else change
        try:
            slices = Slices()
            for case_id, cached in dirty:
                await slices.between()
                snapshot = snapshot_of(case_id, cached.state, now, cached)
                if snapshot is None:
                    failed.append(case_id)
                    continue
                ahead.snapshots.append(snapshot)
                if ahead is not change and len(ahead.snapshots) == WRITE_CASES:
                    await asyncio.to_thread(self._model.write, ahead)
                    await let_go(ahead.snapshots)
            if ahead is not change:
                change.snapshots += ahead.snapshots
            change.snapshots += [degraded_snapshot(case) for case in set_aside]
            counts = await asyncio.to_thread(self._model.write, change)
        except BaseException:
            self.links.give_back(change.links)
            raise
        self._retired -= set(change.retired)
        if counts is not None:  # the model's count, at each checkpoint
            self._open = Counter(counts)
        if self._gauges is not None:
            self._gauges.open_findings(self._open)
        if flushing:
            took = time.monotonic() - started
            self._next_flush = time.monotonic() + max(FLUSH_EVERY, took / FLUSH_SHARE)
        for case_id in failed:  # degrades it: written with the next change
            self.cases.findings(case_id, now)
        await let_go(dirty)  # the cases evicted since the last write die here,
        await let_go(change.snapshots)  # and their findings


class Slices:
    """Long work on the loop, cut into slices of ``SLICE`` seconds: ``between``
    steps yields to the loop (settling the heap first) once a slice has run."""

    def __init__(self) -> None:
        self._end = time.perf_counter() + SLICE

    async def between(self) -> None:
        if time.perf_counter() > self._end:
            settle_heap()
            await give_way()
            self._end = time.perf_counter() + SLICE


async def let_go(items: list[Any]) -> None:
    """Drop ``items`` a few at a time, yielding to the loop between: dropped at once,
    the last references to a thousand evicted cases free millions of objects in one
    uninterruptible call (over 100 ms; the GIL is not let go meanwhile either)."""
    while items:
        del items[-LET_GO:]
        await give_way()


def settle_heap() -> None:
    """After each batch and slice of one: collect the young generations, then move every object
    left to the collector's permanent generation, so no full collection walks
    the cache (at 10,000 cached cases, one stopped the loop for seconds). Both
    are cheap: the first scans only what the batch made, the second is a splice.
    Frozen objects are still freed by reference counting when evicted; what it
    costs is cyclic garbage frozen before it was found, and the fold, evaluation
    and picture of a case make none (tests/unit/test_heap.py)."""
    gc.collect(1)
    gc.freeze()


def snapshot_of(
    case_id: str, state: CaseState, now: datetime, cached: CachedCase | None = None
) -> CaseSnapshot | None:
    """The case as the model keeps it. None if its
    evaluation raises: the caller sets it aside through the case book. With
    ``cached``, only findings that changed since it was last written are
    rewritten (most of a case's findings stay as they were)."""
    try:
        findings = evaluate(state, now)
    except Exception:  # the case book degrades it, on the loop, and says why
        return None
    written = None if cached is None else cached.written
    hashes = {f.finding_id: hash(f) for f in findings}
    changed, vanished = findings, None
    if written is not None:
        changed = [f for f in findings if written.get(f.finding_id) != hashes[f.finding_id]]
        vanished = [finding_id for finding_id in written if finding_id not in hashes]
    if cached is not None:
        cached.written = hashes
    last = state.last
    return CaseSnapshot(
        case_id=case_id,
        position=0 if last is None else last.position,
        events=len(state.events),
        children=tuple(sorted(state.children)),
        last_occurred_at=None if last is None else last.occurred_at,
        open_findings=sum(1 for f in findings if f.status == "open"),
        degraded=None,
        next_due=next_deadline(state, now),
        findings=changed,
        vanished=vanished,
    )


def degraded_snapshot(case: DegradedCase) -> CaseSnapshot:
    children = {child for event in case.events.values() for child in event.children}
    return CaseSnapshot(
        case_id=case.case_id,
        position=0,
        events=len(case.events),
        children=tuple(sorted(children)),
        last_occurred_at=None,
        open_findings=None,
        degraded=case.to_json(),
        next_due=None,
    )


def _log_changes(changed: Sequence[Finding]) -> None:
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
