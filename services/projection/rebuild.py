"""Rebuild the projection's read model from position 0 of the store.

Snapshots, findings, deadlines and the checkpoint are rebuilt. The record of what was already
announced to the notifier is kept, so a rebuild announces nothing new, and the
notifier's outbox would drop a repeat anyway: a rebuild never pages anyone.
"""

import asyncio
import multiprocessing
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from events.records import RecordedEvent
from infra.sqlite.readmodel import SQLiteReadModel
from infra.sqlite.schema import decode
from infra.sqlite.store import SQLiteEventStore
from infra.store.port import EventStore
from services.projection.bootstrap import open_read_model
from services.projection.casebook import CachedCase, CaseBook, DegradedCase
from services.projection.domain.fold import collector_paused
from services.projection.domain.identity import LINKING_TYPES, Linker
from services.projection.domain.policy import RulePolicy
from services.projection.links import LinkedCases
from services.projection.readmodel import LinkInputs, ModelChange
from services.projection.service import degraded_snapshot, snapshot_of

PAGE = 10_000
CACHE_MIB = 256
"""SQLite's page cache of each rebuild process's connection to the model."""


@dataclass(frozen=True, slots=True)
class RebuildReport:
    events: int
    cases: int
    open_findings: int
    seconds: float
    case_ids: tuple[str, ...] = ()
    """Every case folded, for the access audit."""
    degraded: tuple[DegradedCase, ...] = ()
    """Cases whose fold or evaluation raised: counted in ``cases``, shown as degraded."""


async def rebuild(
    store: EventStore,
    model: SQLiteReadModel,
    policy: RulePolicy,
    *,
    now: datetime,
    timer: Callable[[], float],
    progress: Callable[[int], None] = lambda _: None,
    capacity: int = 10_000,
    workers: int = 1,
) -> RebuildReport:
    """Fold the store into the model with memory bounded by the cache of
    ``capacity`` cases, whose snapshots are written as they are evicted and at
    the end. The SQLite store hands over its events case by case, so each case
    is folded once, whole; another store is read in position order, and a case
    evicted before its last event is refolded from the store when it comes back.

    With ``workers`` > 1 and a store-fed model on the SQLite store, the cases are
    shared among that many processes (``_fold_share``), which write the model in
    turns; a joint case of several members is folded here, after them."""
    started = timer()
    await asyncio.to_thread(model.reset)
    casebook = CaseBook(policy, capacity)
    source = "kafka" if model.keep_events else "store"
    head, count = await store.head_position(), 0
    links = await _linked(store, casebook, head)
    linker = links.linker
    joint_later: set[str] = set()
    shared = workers > 1 and isinstance(store, SQLiteEventStore) and not model.keep_events
    if shared and isinstance(store, SQLiteEventStore):
        joined = frozenset(c for c, _ in links.pending.cases if len(linker.members(c)) > 1)
        joint_later = {linker.joint_id(case_id) for case_id in joined}
        share = Share(store.path, model.path, policy, head, now, capacity // workers, joined, PAGE)
        count, refold = await _in_processes(share, workers, progress)
        for case_id in refold:  # set aside there: refolded here, to be set aside here too
            events_then = await _events_of(store, linker.members(case_id))
            casebook.load((e for e in events_then if e.position <= head), linker)
    else:
        count = await _fold_here(store, model, casebook, linker, head, now, progress, joint_later)
    for joint_id in sorted(joint_later):  # every member's events, whole
        whole = [e for e in await _events_of(store, linker.members(joint_id)) if e.position <= head]
        casebook.load(whole, linker)
        count += len(whole) if shared else 0  # the shares left them out
        await _write(model, casebook.take_evicted(), [], now, None)
    written = await _write(model, [*casebook.take_evicted(), *casebook.dirty()], [], now, None)
    for case_id in written.get("failed", []):  # set aside, as the live service does
        casebook.findings(case_id, now)
    degraded = tuple(casebook.degraded().values())
    counts = await _write(model, [], list(degraded), now, (source, head), links.take_pending())
    case_ids = await asyncio.to_thread(_all_case_ids, model)
    seconds = timer() - started
    return RebuildReport(count, len(case_ids), counts.get("open", 0), seconds, case_ids, degraded)


async def _fold_here(
    store: EventStore,
    model: SQLiteReadModel,
    casebook: CaseBook,
    linker: Linker,
    head: int,
    now: datetime,
    progress: Callable[[int], None],
    joint_later: set[str],
) -> int:
    """Fold every case in this process; the events folded. A joint case whose
    members come case by case is left in ``joint_later``."""
    count, folded = 0, set[str]()
    async for events in _batches(store, head):
        by_case: dict[str, list[RecordedEvent]] = {}
        for event in await asyncio.to_thread(model.save_events, events):
            by_case.setdefault(linker.joint_id(event.case_id), []).append(event)
        for joint_id, case_events in by_case.items():  # one at a time: the cache may be tiny
            members = linker.members(joint_id)
            if len(members) > 1 and isinstance(store, SQLiteEventStore):
                joint_later.add(joint_id)  # its members come case by case: folded at the end
                continue
            if joint_id in folded and joint_id not in casebook:  # evicted: what came before too
                first = case_events[0].position
                earlier = [e for e in await _events_of(store, members) if e.position < first]
                case_events = earlier + case_events
            casebook.load(case_events, linker)
            folded.add(joint_id)
        count += len(events)
        evicted = await _write(model, casebook.take_evicted(), [], now, None)
        for case_id in evicted.get("failed", []):  # its state was evicted: refolded at the end
            events_then = await _events_of(store, linker.members(case_id))
            casebook.load((e for e in events_then if e.position <= head), linker)
        progress(len(events))
    return count


@dataclass(frozen=True, slots=True)
class Share:
    """What a rebuild process needs to fold its share of the cases (pickled to it)."""

    store: Path
    model: Path
    policy: RulePolicy
    head: int
    now: datetime
    capacity: int
    joined: frozenset[str]
    """Cases of joint cases with several members: folded by the rebuild itself."""
    page: int


async def _in_processes(
    share: Share, workers: int, progress: Callable[[int], None]
) -> tuple[int, list[str]]:
    """``_fold_share`` in ``workers`` fresh processes, progress polled from a
    counter each keeps; the events they folded and the cases they set aside."""
    context = multiprocessing.get_context("spawn")  # not fork: this process has threads
    folded = context.Array("q", workers)
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_counting, initargs=(folded,)
    ) as pool:
        loop = asyncio.get_running_loop()
        running = [
            loop.run_in_executor(pool, _fold_share, share, i, workers) for i in range(workers)
        ]
        reported = 0
        while True:
            done, _ = await asyncio.wait(running, timeout=0.25)
            total = sum(folded[:])
            progress(total - reported)
            reported = total
            if len(done) == len(running):
                break
        results = [task.result() for task in running]
    return sum(count for count, _ in results), [case for _, cases in results for case in cases]


_folded_by_share: Any = None
"""In a rebuild process: the shared counters of events folded, one per share."""


def _counting(folded: Any) -> None:
    global _folded_by_share
    _folded_by_share = folded


def in_share(case_id: str, index: int, workers: int) -> bool:
    """Whether ``case_id`` falls to share ``index``: a hash stable across processes."""
    return zlib.crc32(case_id.encode()) % workers == index


def _fold_share(share: Share, index: int, workers: int) -> tuple[int, list[str]]:
    """Fold and write the share ``index`` of the cases that are not joined to
    others: events folded, and the cases set aside (to be refolded by the
    rebuild, which reports them). Runs in its own process, on its own
    connections to the store and the model."""
    model = open_read_model(share.model, share.policy, keep_events=False, cache_mib=CACHE_MIB)
    casebook = CaseBook(share.policy, max(share.capacity, 1))
    store = SQLiteEventStore(share.store)
    count, pending, set_aside = 0, 0, list[str]()
    try:
        with collector_paused():
            for case_id, bodies in store.iter_cases_sync(share.head):
                if case_id in share.joined or not in_share(case_id, index, workers):
                    continue
                casebook.load(list(map(decode, bodies)))
                count += len(bodies)
                pending += len(bodies)
                if pending >= share.page:
                    set_aside += _write_now(model, casebook.take_evicted(), [], share.now, None)[
                        "failed"
                    ]
                    _report(index, count)
                    pending = 0
            last = [*casebook.take_evicted(), *casebook.dirty()]
            set_aside += _write_now(model, last, [], share.now, None)["failed"]
    finally:
        model.close()
    _report(index, count)
    return count, [*set_aside, *casebook.degraded()]


def _report(index: int, count: int) -> None:
    if _folded_by_share is not None:
        _folded_by_share[index] = count


async def _linked(store: EventStore, casebook: CaseBook, head: int) -> LinkedCases:
    """Who is linked to whom at ``head``: a first, cheap pass, so each joint case
    is folded with every member's events from the start. The SQLite store hands
    over only what linking reads (``iter_linking_sync``); another store is read
    whole."""
    links, position = LinkedCases(casebook), 1
    if isinstance(store, SQLiteEventStore):
        rows = await asyncio.to_thread(list, store.iter_linking_sync(head, LINKING_TYPES))
        for case_id, body in rows:
            if body is None:
                links.see(case_id)
            else:
                links.observe(decode(body))
        return links
    while position <= head and (events := await store.read_all(position, PAGE)):
        for event in events:
            if event.position <= head:
                links.observe(event)
        position = events[-1].position + 1
    return links


async def _write(
    model: SQLiteReadModel,
    cases: list[tuple[str, CachedCase]],
    degraded: list[DegradedCase],
    now: datetime,
    checkpoint: tuple[str, int] | None,
    links: LinkInputs | None = None,
) -> dict[str, Any]:
    """``_write_now`` in a worker thread; nothing to do, nothing written."""
    if not (cases or degraded or checkpoint):
        return {}
    return await asyncio.to_thread(_write_now, model, cases, degraded, now, checkpoint, links)


def _write_now(
    model: SQLiteReadModel,
    cases: list[tuple[str, CachedCase]],
    degraded: list[DegradedCase],
    now: datetime,
    checkpoint: tuple[str, int] | None,
    links: LinkInputs | None = None,
) -> dict[str, Any]:
    """Snapshots of ``cases`` (those whose evaluation raised come back as
    ``failed``, unwritten), markers of ``degraded`` ones, and the checkpoint."""
    change = ModelChange(
        checkpoint=checkpoint, links=links or LinkInputs(), count_open=checkpoint is not None
    )
    failed = []
    for case_id, cached in cases:
        snapshot = snapshot_of(case_id, cached.state, now)
        if snapshot is None:
            failed.append(case_id)
        else:  # due now if a status is not the one announced: the service announces it
            announced = model.announced(case_id)
            news = any(announced.get(f.finding_id) != f.status for f in snapshot.findings)
            due = now if news else snapshot.next_due
            change.snapshots.append(replace(snapshot, next_due=due, owns_deadline=True))
    change.snapshots += [degraded_snapshot(case) for case in degraded]
    counts = model.write(change) or {}
    return {"open": sum(counts.values()), "failed": failed}


async def _batches(store: EventStore, head: int) -> AsyncIterator[list[RecordedEvent]]:
    """The store's events up to ``head``, about a page at a time: whole cases
    from the SQLite store, position order from any other."""
    if isinstance(store, SQLiteEventStore):
        cases = store.iter_cases_sync(head)
        while batch := await asyncio.to_thread(_whole_cases, cases):
            yield batch
        return
    position = 1
    while position <= head and (page := await store.read_all(position, PAGE)):
        yield [event for event in page if event.position <= head]
        position = page[-1].position + 1


def _whole_cases(cases: Iterator[tuple[str, list[bytes]]]) -> list[RecordedEvent]:
    """The next cases of ``cases``, decoded, until a page's worth of events."""
    batch: list[RecordedEvent] = []
    for _case_id, bodies in cases:
        batch += map(decode, bodies)
        if len(batch) >= PAGE:
            break
    return batch


async def _events_of(store: EventStore, members: frozenset[str]) -> list[RecordedEvent]:
    """Every event of a joint case's members, in position order."""
    found = [event for member in sorted(members) for event in await store.read_case(member)]
    return sorted(found, key=lambda event: event.position)


def _all_case_ids(model: SQLiteReadModel) -> tuple[str, ...]:
    found: list[str] = []
    while page := model.case_ids(found[-1] if found else "", 10_000):
        found += page
    return tuple(found)
