"""A rebuild through a cache far smaller than the store's cases writes the same
read model as one that holds every case: whole cases from the SQLite store, and
position order (an evicted case refolded from the store) from any other store,
and cases shared among rebuild processes (real ones, spawned).
Its first pass links cases the same whether it reads every event or, from the
SQLite store, only each case's first event and those naming someone or a case.

Real SQLite files on disk: the event store and the read models."""

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.workload import workload
from events.records import Submission
from infra.sqlite.store import SQLiteEventStore
from infra.store.port import EventStore
from services.projection import rebuild as rebuilding
from services.projection.bootstrap import open_read_model
from services.projection.domain.rules import default_policy
from services.projection.readmodel import LinkInputs
from services.projection.rebuild import rebuild
from tests.unit.test_identity_projection import OWN_CASE, child_k_by_agency

NOW = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = default_policy()


class PositionOrderOnly:
    """The same SQLite store seen only through the port, as the EventStoreDB
    adapter is: no case-by-case fast path."""

    def __init__(self, store: SQLiteEventStore) -> None:
        self.read_all, self.read_case = store.read_all, store.read_case
        self.head_position = store.head_position


async def rebuilt(
    store: Any, path: Path, capacity: int, events: int = 12 * 25, workers: int = 1
) -> list[dict[str, Any]]:
    return (await rebuilt_with_links(store, path, capacity, events, workers))[0]


async def rebuilt_with_links(
    store: Any, path: Path, capacity: int, events: int, workers: int = 1
) -> tuple[list[dict[str, Any]], LinkInputs]:
    model = open_read_model(path, POLICY, keep_events=False)
    try:
        report = await rebuild(
            store,
            model,
            POLICY,
            now=NOW,
            timer=time.perf_counter,
            capacity=capacity,
            workers=workers,
        )
        assert report.events == events
        rows: list[dict[str, Any]] = []
        after = None
        while True:
            page = model.findings_page(limit=1000, after=after, agency=None, status=None)
            rows += page.rows
            if page.next is None:
                return rows, model.link_inputs()
            after = page.next
    finally:
        model.close()


async def test_a_small_cache_rebuilds_what_an_unbounded_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rebuilding, "PAGE", 7)  # many pages, so cases leave and come back
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        for batch in workload(12, 25):  # twelve cases, interleaved event by event
            await store.append(batch)
        everything = await rebuilt(store, tmp_path / "all.db", capacity=1000)
        assert len(everything) > 12
        assert await rebuilt(store, tmp_path / "whole-cases.db", capacity=2) == everything
        by_position: EventStore = PositionOrderOnly(store)  # type: ignore[assignment]
        assert await rebuilt(by_position, tmp_path / "by-position.db", capacity=2) == everything
        in_processes = await rebuilt(store, tmp_path / "shared.db", capacity=2, workers=3)
        assert in_processes == everything


async def test_the_first_pass_links_from_what_it_reads_as_from_every_event(
    tmp_path: Path,
) -> None:
    child_k = child_k_by_agency()  # three case ids, joined by the children's NHS numbers
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        batches = list(workload(3, 10))  # cases that name no one, before and after
        for batch in batches[:5]:
            await store.append(batch)
        await store.append([Submission(event.envelope(), event.agency) for event in child_k])
        for batch in batches[5:]:
            await store.append(batch)
        total = 3 * 10 + len(child_k)
        scanned = await rebuilt_with_links(store, tmp_path / "scanned.db", 2, total)
        by_position: EventStore = PositionOrderOnly(store)  # type: ignore[assignment]
        read_whole = await rebuilt_with_links(by_position, tmp_path / "whole.db", 2, total)
        in_processes = await rebuilt_with_links(store, tmp_path / "shared.db", 2, total, 2)
    rows, links = scanned
    assert (rows, links.cases, links.subjects) == (
        read_whole[0],
        read_whole[1].cases,
        read_whole[1].subjects,
    )
    assert in_processes[0] == rows  # Child K's joint case folded by the rebuild itself
    assert {case for case, _ in links.cases} >= set(OWN_CASE.values())
    joint = {row["case_id"] for row in rows if row["case_id"] in OWN_CASE.values()}
    assert len(joint) == 1  # every Child K finding under one joint case
