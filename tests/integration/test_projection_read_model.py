"""The persistent read model: a deadline fires in a case not in the cache, a
restart resumes from snapshots without refolding, and pages walk every row once.

Driven through ``handle`` and ``tick`` with a hand-moved clock, on a real SQLite file.
"""

import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from events.findings import Finding
from infra.clock import FixedClock
from infra.config import Settings
from infra.sqlite.readmodel import DEGRADED_CASES, OPEN_COUNTS, SQLiteReadModel
from infra.sqlite.store import SQLiteEventStore
from services.projection import bootstrap
from services.projection import service as service_module
from services.projection.bootstrap import open_read_model
from services.projection.casebook import CaseBook
from services.projection.domain.rules import default_policy
from services.projection.readmodel import CaseSnapshot, LoadedCase, ModelChange, OpenFilter
from services.projection.service import LOAD_AHEAD, ProjectionService
from tests.support.announced import T0, Announced, concern
from tests.support.store_stand_in import StoreStandIn

POLICY = default_policy()


def service_on(
    path: Path, clock: FixedClock, sink: Announced, store: StoreStandIn
) -> ProjectionService:
    return ProjectionService(
        feed=None,  # type: ignore[arg-type]  # driven through handle()
        model=open_read_model(path, POLICY, keep_events=False),
        casebook=CaseBook(POLICY, capacity=1),
        clock=clock,
        sinks=[sink],
        refetch=store.read_case,
    )


async def test_a_deadline_in_an_evicted_case_fires_and_a_restart_refolds_nothing(
    tmp_path: Path,
) -> None:
    clock, sink, store = FixedClock(T0), Announced(), StoreStandIn()
    service = service_on(tmp_path / "projection.db", clock, sink, store)
    await service.start()
    # given a concern in case-a, then one in case-b that evicts case-a from a cache of one
    await service.handle(store.batch([concern(1, "case-a")]))
    await service.handle(store.batch([concern(2, "case-b")]))
    assert "case-a" not in service.cases

    clock.set(T0 + timedelta(hours=5))
    await service.tick()
    assert sorted(set(sink.opened)) == ["case-a", "case-b"]
    await service.stop()

    restarted = service_on(tmp_path / "projection.db", clock, Announced(), store)
    await restarted.start()
    assert restarted.position == 2 and restarted.seen == 0  # nothing folded again
    page, _ = await restarted.findings_page(limit=100, after=None, agency=None, status="open")
    assert {row["case_id"] for row in page.rows} == {"case-a", "case-b"}
    await restarted.tick()  # nothing came due again: nothing announced twice
    await restarted.stop()


async def test_pages_of_one_walk_every_finding_and_case_exactly_once(tmp_path: Path) -> None:
    clock, sink, store = FixedClock(T0), Announced(), StoreStandIn()
    service = service_on(tmp_path / "projection.db", clock, sink, store)
    await service.start()
    await service.handle(store.batch([concern(i, f"case-{i}") for i in range(1, 6)]))
    clock.set(T0 + timedelta(hours=5))
    await service.tick()
    everything, _ = await service.findings_page(limit=1000, after=None, agency=None, status=None)

    seen, after = [], None
    while True:
        page, _ = await service.findings_page(limit=1, after=after, agency=None, status=None)
        seen += [row["finding_id"] for row in page.rows]
        if page.next is None:
            break
        after = page.next
    assert sorted(seen) == sorted(row["finding_id"] for row in everything.rows)
    assert len(seen) == len(set(seen)) >= 5

    cases, after = [], None
    while True:
        listed = await service.cases_page(limit=2, after=after, agency=None, wanted=OpenFilter())
        cases += [row["case_id"] for row in listed.rows]
        if listed.next is None:
            break
        after = listed.next
    assert cases == [f"case-{i}" for i in range(1, 6)]
    await service.stop()


def test_a_file_of_the_older_format_is_upgraded_once_keeping_events_and_announcements(
    tmp_path: Path,
) -> None:
    path = tmp_path / "projection.db"
    event = concern(1, "case-a")
    with sqlite3.connect(path) as db:  # the format before snapshots
        db.executescript(
            "CREATE TABLE case_events (event_id TEXT PRIMARY KEY, case_id TEXT NOT NULL,"
            " position INTEGER NOT NULL, body BLOB NOT NULL);"
            "CREATE TABLE checkpoint (source TEXT PRIMARY KEY, position INTEGER NOT NULL);"
            "CREATE TABLE announced (finding_id TEXT PRIMARY KEY, status TEXT NOT NULL);"
            "INSERT INTO checkpoint VALUES ('kafka', 1);"
            "INSERT INTO announced VALUES ('fnd_1', 'open');"
        )
        db.execute(
            "INSERT INTO case_events VALUES (?, ?, ?, ?)",
            (event.event_id, event.case_id, 1, orjson.dumps(event.to_json())),
        )
    upgraded = open_read_model(path, POLICY, keep_events=True)
    try:
        assert upgraded.rebuilt and upgraded.checkpoint("kafka") == 0
        assert upgraded.unflushed_cases() == ["case-a"]  # folded again from its kept events
        (loaded,) = upgraded.load(["case-a"])
        assert [e.event_id for e in loaded.later] == [event.event_id]
    finally:
        upgraded.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT announced FROM findings WHERE finding_id = 'fnd_1'").fetchone()
    again = open_read_model(path, POLICY, keep_events=True)
    assert not again.rebuilt  # once
    again.close()


def test_a_model_written_under_another_fingerprint_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "projection.db"
    SQLiteReadModel(path, keep_events=False, fingerprint="old").close()
    model = SQLiteReadModel(path, keep_events=False, fingerprint="old")
    assert not model.rebuilt
    model.write(ModelChange(checkpoint=("store", 7)))
    model.close()
    model = open_read_model(path, POLICY, keep_events=False)
    try:
        assert model.rebuilt and model.checkpoint("store") == 0
    finally:
        model.close()


def test_the_gauge_counts_open_findings_from_an_index_alone(tmp_path: Path) -> None:
    """Counted from the rows, 3.2M open findings took about 12 s while holding the
    model (a deadline due meanwhile fired 14.6 s late): the plan must read one index."""
    model = open_read_model(tmp_path / "projection.db", POLICY, keep_events=False)
    model.close()
    db = sqlite3.connect(tmp_path / "projection.db")
    plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {OPEN_COUNTS}"))
    db.close()

    assert "COVERING INDEX" in plan, plan


def test_each_page_of_findings_finds_the_degraded_cases_from_an_index_alone(
    tmp_path: Path,
) -> None:
    """Every page of ``/findings`` lists the degraded cases too: a walk of 100,000
    case rows took 21 ms of each page's 26."""
    model = open_read_model(tmp_path / "projection.db", POLICY, keep_events=False)
    model.close()
    with closing(sqlite3.connect(tmp_path / "projection.db")) as db:
        plan = " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {DEGRADED_CASES}"))

    assert "USING INDEX cases_degraded" in plan, plan


def test_the_wal_is_copied_into_the_file_by_a_thread_of_its_own_not_by_a_write(
    tmp_path: Path,
) -> None:
    """A commit past 1,000 WAL pages would copy the WAL into the file itself, inside a
    write the projection waits on; a thread does it instead, and stops with the model."""
    path = tmp_path / "projection.db"
    threads = set(threading.enumerate())
    model = SQLiteReadModel(path, keep_events=False, fingerprint="f")

    def in_the_file_alone() -> bool:
        """Whether the database file, copied without its WAL, holds the checkpoint."""
        copy = tmp_path / "copy.db"
        copy.write_bytes(path.read_bytes())
        with closing(sqlite3.connect(copy)) as db:
            try:
                found = db.execute("SELECT value FROM meta WHERE key = 'checkpoint:store'")
                return found.fetchall() == [("7",)]
            except sqlite3.DatabaseError:  # copied mid-write: the next try
                return False

    try:
        assert model._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        model.write(ModelChange(checkpoint=("store", 7)))
        deadline = time.monotonic() + 10
        while not in_the_file_alone() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert in_the_file_alone()
    finally:
        model.close()
    assert set(threading.enumerate()) <= threads


def _finding(n: int) -> Finding:
    return Finding(
        finding_id=f"fnd_{n}",
        rule="not-shared",
        case_id="case-a",
        status="open",
        children=("child-a",),
        trigger_event_ids=(f"event-{n}",),
        due_at=T0,
        concerns_agencies=("police",),
        severity="high",
        explanation="Police were not told.",
    )


def _every_finding_of_case_a(*findings: Finding) -> CaseSnapshot:
    """As the first snapshot of a case loaded afresh: every finding, none known written."""
    return CaseSnapshot(
        case_id="case-a",
        position=9,
        events=9,
        children=("child-a",),
        last_occurred_at=T0,
        open_findings=len(findings),
        degraded=None,
        next_due=None,
        findings=findings,
    )


def test_a_snapshot_of_every_finding_rewrites_only_what_changed(tmp_path: Path) -> None:
    """A case loaded afresh does not know which of its findings' rows are already
    as it would write them, so its first snapshot carries them all: rows as they
    were stay untouched (rewritten, each moved four index entries, and a 10M
    model's WAL grew by gigabytes), a finding gone is cleared, and one back
    again is restored."""
    model = SQLiteReadModel(tmp_path / "projection.db", keep_events=False, fingerprint="f")
    one, two, three = _finding(1), _finding(2), _finding(3)

    def statuses() -> dict[str, str | None]:
        return dict(model._db.execute("SELECT finding_id, status FROM findings").fetchall())

    try:
        model.write(ModelChange(snapshots=[_every_finding_of_case_a(one, two, three)]))
        changes = model._db.total_changes
        model.write(ModelChange(snapshots=[_every_finding_of_case_a(one, two, three)]))
        assert model._db.total_changes == changes  # not a row rewritten

        model.write(ModelChange(snapshots=[_every_finding_of_case_a(one, three)]))
        assert statuses() == {"fnd_1": "open", "fnd_2": None, "fnd_3": "open"}
        model.write(ModelChange(snapshots=[_every_finding_of_case_a(one, two, three)]))
        assert statuses() == {"fnd_1": "open", "fnd_2": "open", "fnd_3": "open"}
        model.write(ModelChange(announced=[replace(two, status="resolved")]))
        assert statuses()["fnd_2"] == "resolved"
        assert model.announced("case-a") == {"fnd_2": "resolved"}
    finally:
        model.close()


async def test_a_batch_of_uncached_cases_loads_them_a_few_at_a_time(tmp_path: Path) -> None:
    """Loaded all at once, a batch of a page's worth of uncached cases held every one
    of their histories beside a full cache. The model is wrapped only to see the
    size of each load."""
    clock, sink, store = FixedClock(T0), Announced(), StoreStandIn()
    service = service_on(tmp_path / "projection.db", clock, sink, store)
    await service.start()
    cases = [f"case-{i:03d}" for i in range(1, 3 * LOAD_AHEAD + 2)]
    await service.handle(store.batch([concern(i, c) for i, c in enumerate(cases, 1)]))
    await service.stop()

    restarted = service_on(tmp_path / "projection.db", clock, Announced(), store)
    loads: list[int] = []
    load = restarted._model.load

    def counted(case_ids: list[str]) -> list[LoadedCase]:
        loads.append(len(case_ids))
        return load(case_ids)

    restarted._model.load = counted  # type: ignore[method-assign]
    await restarted.start()
    later = [concern(len(cases) + i, c) for i, c in enumerate(cases, 1)]
    await restarted.handle(store.batch(later))
    assert max(loads) == LOAD_AHEAD and sum(loads) == len(cases)
    assert restarted.seen == len(cases)
    await restarted.stop()


async def test_a_flush_of_many_cases_writes_their_snapshots_a_few_hundred_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All in one write, a flush at 10M events held every cached case's snapshot and
    finding rows at once. The checkpoint goes with the last part, and a restart finds
    every case. The model is wrapped only to see each write."""
    monkeypatch.setattr(service_module, "WRITE_CASES", 4)
    clock, sink, store = FixedClock(T0), Announced(), StoreStandIn()
    model = open_read_model(tmp_path / "projection.db", POLICY, keep_events=False)
    writes: list[tuple[int, bool]] = []
    write = model.write

    def seen(change: ModelChange) -> dict[str, int] | None:
        writes.append((len(change.snapshots), change.checkpoint is not None))
        return write(change)

    model.write = seen  # type: ignore[method-assign]
    service = ProjectionService(
        feed=None,  # type: ignore[arg-type]  # driven through handle()
        model=model,
        casebook=CaseBook(POLICY, capacity=100),
        clock=clock,
        sinks=[sink],
        refetch=store.read_case,
    )
    await service.start()
    cases = [f"case-{i:02d}" for i in range(1, 11)]
    await service.handle(store.batch([concern(i, c) for i, c in enumerate(cases, 1)]))
    writes.clear()
    await service.sync()
    assert writes == [(4, False), (4, False), (2, True)]
    await service.stop()

    restarted = service_on(tmp_path / "projection.db", clock, Announced(), store)
    await restarted.start()
    listed = await restarted.cases_page(limit=100, after=None, agency=None, wanted=OpenFilter())
    assert [row["case_id"] for row in listed.rows] == cases
    await restarted.stop()


async def test_the_model_is_opened_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening runs the schema, and an index new to a 10M file was built on the loop
    at start: stalls of 42-89 ms. The opener is wrapped only to see its thread."""
    opened_on: list[threading.Thread] = []
    open_model = bootstrap.open_read_model

    def watched(*args: Any, **kwargs: Any) -> SQLiteReadModel:
        opened_on.append(threading.current_thread())
        return open_model(*args, **kwargs)

    monkeypatch.setattr(bootstrap, "open_read_model", watched)
    async with (
        SQLiteEventStore(tmp_path / "events.db") as store,
        bootstrap.running_projection(Settings(data_dir=tmp_path), store=store),
    ):
        pass
    assert opened_on and opened_on[0] is not threading.main_thread()
