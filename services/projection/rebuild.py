"""Rebuild the projection's read model from position 0 of the store.

Snapshots, findings, deadlines and the checkpoint are rebuilt. The record of what was already
announced to the notifier is kept, so a rebuild announces nothing new, and the
notifier's outbox would drop a repeat anyway: a rebuild never pages anyone.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from events.records import RecordedEvent
from infra.sqlite.readmodel import SQLiteReadModel
from infra.store.port import EventStore
from services.projection.casebook import CachedCase, CaseBook, DegradedCase
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
    """Stream the store a page at a time into the model: memory is bounded by the
    page and the cache of ``capacity`` cases, whose snapshots are written as they
    are evicted and at the end."""
    started = timer()
    await asyncio.to_thread(model.reset)
    casebook = CaseBook(policy, capacity)
    source = "kafka" if model.keep_events else "store"
    links = await _linked(store, casebook)
    linker = links.linker
    position, count = 1, 0
    while events := await store.read_all(position, PAGE):
        by_case: dict[str, list[RecordedEvent]] = {}
        for event in await asyncio.to_thread(model.save_events, events):
            by_case.setdefault(linker.joint_id(event.case_id), []).append(event)
        missing = [case_id for case_id in by_case if case_id not in casebook]
        loaded = {case.case_id: case for case in await asyncio.to_thread(model.load, missing)}
        for case_id, case_events in by_case.items():
            if case_id in loaded:
                casebook.admit(loaded.pop(case_id), linker.members(case_id))
            casebook.load(case_events, linker)
        count += len(events)
        position = events[-1].position + 1
        evicted = await _write(model, casebook.take_evicted(), [], now, None)
        for case_id in evicted.get("failed", []):  # its state was evicted: refolded at the end
            for member in sorted(linker.members(case_id)):
                casebook.load(await store.read_case(member), linker)
        progress(len(events))
    written = await _write(model, casebook.dirty(), [], now, None)
    for case_id in written.get("failed", []):  # set aside, as the live service does
        casebook.findings(case_id, now)
    degraded = tuple(casebook.degraded().values())
    counts = await _write(
        model, [], list(degraded), now, (source, position - 1), links.take_pending()
    )
    case_ids = await asyncio.to_thread(_all_case_ids, model)
    seconds = timer() - started
    return RebuildReport(count, len(case_ids), counts.get("open", 0), seconds, case_ids, degraded)


async def _linked(store: EventStore, casebook: CaseBook) -> LinkedCases:
    """Who is linked to whom at the end of the log: a first, cheap pass, so each
    joint case is folded with every member's events from the start."""
    links, position = LinkedCases(casebook), 1
    while events := await store.read_all(position, PAGE):
        for event in events:
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
        change = ModelChange(checkpoint=checkpoint, links=links or LinkInputs())
        failed = []
        for case_id, cached in cases:
            snapshot = snapshot_of(case_id, cached.state, now)
            if snapshot is None:
                failed.append(case_id)
            else:  # a case with findings is due now: the service then announces what changed
                due = now if snapshot.findings else snapshot.next_due
                change.snapshots.append(replace(snapshot, next_due=due, owns_deadline=True))
        change.snapshots += [degraded_snapshot(case) for case in degraded]
        counts = model.write(change) or {}
        return {"open": sum(counts.values()), "failed": failed}

    if not (cases or degraded or checkpoint):
        return {}
    return await asyncio.to_thread(job)


def _all_case_ids(model: SQLiteReadModel) -> tuple[str, ...]:
    found: list[str] = []
    while page := model.case_ids(found[-1] if found else "", 10_000):
        found += page
    return tuple(found)
