"""Rebuild the projection's read model from position 0 of the store.

Snapshots, findings, deadlines and the checkpoint are rebuilt. The record of what was already
announced to the notifier is kept, so a rebuild announces nothing new, and the
notifier's outbox would drop a repeat anyway: a rebuild never pages anyone.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from events.records import RecordedEvent
from infra.sqlite.readmodel import SQLiteReadModel
from infra.sqlite.schema import decode
from infra.sqlite.store import SQLiteEventStore
from infra.store.port import EventStore
from services.projection.casebook import CachedCase, CaseBook, DegradedCase
from services.projection.domain.identity import LINKING_TYPES
from services.projection.domain.policy import RulePolicy
from services.projection.links import LinkedCases
from services.projection.readmodel import LinkInputs, ModelChange
from services.projection.service import degraded_snapshot, snapshot_of

PAGE = 10_000


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
) -> RebuildReport:
    """Fold the store into the model with memory bounded by the cache of
    ``capacity`` cases, whose snapshots are written as they are evicted and at
    the end. The SQLite store hands over its events case by case, so each case
    is folded once, whole; another store is read in position order, and a case
    evicted before its last event is refolded from the store when it comes back."""
    started = timer()
    await asyncio.to_thread(model.reset)
    casebook = CaseBook(policy, capacity)
    source = "kafka" if model.keep_events else "store"
    head, count = await store.head_position(), 0
    links = await _linked(store, casebook, head)
    linker = links.linker
    folded: set[str] = set()
    joint_later: set[str] = set()
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
    for joint_id in sorted(joint_later):  # every member's events, whole
        casebook.load(
            [e for e in await _events_of(store, linker.members(joint_id)) if e.position <= head],
            linker,
        )
        await _write(model, casebook.take_evicted(), [], now, None)
    written = await _write(model, casebook.dirty(), [], now, None)
    for case_id in written.get("failed", []):  # set aside, as the live service does
        casebook.findings(case_id, now)
    degraded = tuple(casebook.degraded().values())
    counts = await _write(model, [], list(degraded), now, (source, head), links.take_pending())
    case_ids = await asyncio.to_thread(_all_case_ids, model)
    seconds = timer() - started
    return RebuildReport(count, len(case_ids), counts.get("open", 0), seconds, case_ids, degraded)


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
    """Snapshots of ``cases`` (those whose evaluation raised come back as
    ``failed``, unwritten), markers of ``degraded`` ones, and the checkpoint."""

    def job() -> dict[str, Any]:
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

    if not (cases or degraded or checkpoint):
        return {}
    return await asyncio.to_thread(job)


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
