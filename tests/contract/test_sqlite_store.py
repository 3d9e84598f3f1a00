"""SQLiteEventStore against the shared contract, plus what only SQLite promises."""

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.records import Submission
from infra.clock import Clock
from infra.sqlite import checkpoint as sqlite_checkpoint
from infra.sqlite import index as sqlite_index
from infra.sqlite import store as sqlite_store
from infra.sqlite.drafts import Draft, Placed, draft
from infra.sqlite.index import Tail
from infra.sqlite.schema import connect_writer, decode
from infra.sqlite.store import SQLiteEventStore
from infra.sqlite.transaction import Outcome, Transaction
from infra.store import ConcurrencyError, IdempotencyConflict, StoreUnavailable
from tests.contract.event_store_suite import EventStoreContract, positions, sub, take


class SQLiteStoreFactory:
    """Every ``open()`` is the same file: a fresh one per test, reopened for persistence."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @asynccontextmanager
    async def open(self, *, clock: Clock | None = None) -> AsyncIterator[SQLiteEventStore]:
        async with SQLiteEventStore(self.path, clock=clock) as store:
            yield store


class TestSQLiteEventStore(EventStoreContract):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> SQLiteStoreFactory:
        return SQLiteStoreFactory(tmp_path / "events.db")


class TestSQLiteEventStoreMergingEveryCommit(EventStoreContract):
    """The same contract with the index merged after every commit, so reads,
    retries and expected versions go through the index tables, not the tail."""

    @pytest.fixture
    def store_factory(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SQLiteStoreFactory:
        monkeypatch.setattr(sqlite_index, "MERGE_AT", 1)
        return SQLiteStoreFactory(tmp_path / "events.db")


class CountingClock:
    """Counts how often the store asked the time: once per committed transaction."""

    def __init__(self) -> None:
        self.calls = 0

    def now(self) -> datetime:
        self.calls += 1
        return datetime(2024, 3, 1, tzinfo=UTC) + timedelta(seconds=self.calls)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteEventStore]:
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        yield store


async def test_concurrent_appends_share_transactions(tmp_path: Path) -> None:
    clock = CountingClock()
    async with SQLiteEventStore(tmp_path / "events.db", clock=clock) as store:
        results = await asyncio.gather(*(store.append([sub(f"case-{i}")]) for i in range(100)))

    assert all(r.created == (True,) for r in results)
    assert clock.calls < 100  # group commit: fewer transactions (fsyncs) than appends


async def test_one_failing_request_in_a_group_does_not_fail_the_others(
    store: SQLiteEventStore,
) -> None:
    await store.append([sub("case-a")])

    outcomes = await asyncio.gather(
        store.append([sub("case-b")]),
        store.append([sub("case-a")], expected_versions={"case-a": 0}),
        store.append([sub("case-c")]),
        return_exceptions=True,
    )

    assert [type(o).__name__ for o in outcomes] == [
        "AppendResult",
        "ConcurrencyError",
        "AppendResult",
    ]
    assert positions(await store.read_all()) == [1, 2, 3]


async def test_file_is_in_wal_mode_with_one_row_per_event(
    store: SQLiteEventStore,
) -> None:
    result = await store.append([sub("case-a"), sub("case-b")])

    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = conn.execute(
            "SELECT position, event_id, case_id, stream_version, type, agency, body"
            " FROM events ORDER BY position"
        ).fetchall()
    assert [decode(r[6]) for r in rows] == list(result.events)
    assert rows[1][:6] == (2, result.events[1].event_id, "case-b", 1, "disclosure.made", "police")


async def test_raw_bodies_decode_to_the_same_events_as_read_all(
    store: SQLiteEventStore,
) -> None:
    await store.append([sub(f"case-{i % 3}") for i in range(25)])

    raw = await store.read_raw(5, 10)
    synced = list(store.iter_bodies_sync(from_position=5, batch=7))

    assert [decode(b) for b in raw] == await store.read_all(5, 10)
    assert [decode(b) for b in synced] == await store.read_all(5)


async def test_two_store_instances_on_one_file_keep_positions_gapless(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    async with SQLiteEventStore(path) as one, SQLiteEventStore(path) as two:
        await asyncio.gather(
            *(one.append([sub("case-a")]) for _ in range(20)),
            *(two.append([sub("case-a")]) for _ in range(20)),
        )

        events = await one.read_all()

    assert positions(events) == list(range(1, 41))
    assert [e.stream_version for e in events] == list(range(1, 41))


async def test_subscription_sees_appends_made_through_another_connection(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.db"
    async with SQLiteEventStore(path) as reader, SQLiteEventStore(path) as other_writer:
        subscription = reader.subscribe()
        try:
            appended = await other_writer.append([sub(), sub()])

            delivered = await take(subscription, 2)
        finally:
            await subscription.aclose()

    assert delivered == list(appended.events)


async def test_subscription_ends_when_the_store_closes(tmp_path: Path) -> None:
    store = SQLiteEventStore(tmp_path / "events.db")
    await store.start()
    received = []

    async def follow() -> None:
        async for event in store.subscribe():
            received.append(event)

    task = asyncio.create_task(follow())
    await store.append([sub()])
    await store.close()

    async with asyncio.timeout(5):
        await task
    assert len(received) <= 1


async def test_unopenable_path_is_reported_as_store_unavailable(tmp_path: Path) -> None:
    (tmp_path / "a-directory").mkdir()

    with pytest.raises(StoreUnavailable):
        await SQLiteEventStore(tmp_path / "a-directory").start()


async def test_a_request_that_cannot_be_stored_fails_alone_and_leaves_no_rows(
    store: SQLiteEventStore,
) -> None:
    good, unencodable, other = sub(), sub(metadata={"tags": {1, 2}}), sub()

    outcomes = await asyncio.gather(
        store.append([good, unencodable]), store.append([other]), return_exceptions=True
    )

    assert isinstance(outcomes[0], TypeError)  # a caller's bug reaches that caller
    assert await store.get(good.event_id) is None  # rolled back with its batch
    assert [e.event_id for e in await store.read_all()] == [other.event_id]
    assert (await store.append([sub()])).events[0].position == 2  # the writer lives on


def test_raw_iteration_of_a_missing_file_is_store_unavailable(tmp_path: Path) -> None:
    store = SQLiteEventStore(tmp_path / "missing.db")

    with pytest.raises(StoreUnavailable):
        next(store.iter_bodies_sync())


def test_a_repeat_in_the_same_transaction_is_answered_with_the_record_as_first_stored(
    tmp_path: Path,
) -> None:
    """Two requests of one group carry the same event (same content, so a retry),
    each with its own server-side metadata; and one request carries it twice. Every
    repeat gets the record as the first stored it, not one rebuilt from its own copy.
    (The writer thread is driven directly, to put them in one group for certain.)"""
    first = sub("case-a", metadata={"import": "historical"})
    retry = Submission(first.envelope, first.agency, {})
    conn, outcomes = one_group(
        tmp_path, [[draft(first)], [draft(retry)], [draft(first), draft(retry)]]
    )

    drafts = [[draft(first)], [draft(retry)], [draft(first), draft(retry)]]
    assert all(isinstance(outcome, Placed) for outcome in outcomes)
    results = [
        outcome.result(ds)
        for outcome, ds in zip(outcomes, drafts, strict=True)
        if isinstance(outcome, Placed)
    ]
    assert [r.created for r in results] == [(True,), (False,), (False, False)]
    records = [event for r in results for event in r.events]
    assert all(record == records[0] for record in records)
    assert records[0].metadata == {"import": "historical"}
    assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)


def test_a_request_whose_plan_fails_is_left_out_and_the_rest_of_its_group_stored(
    tmp_path: Path,
) -> None:
    """A draft the writer cannot splice (a bug, simulated by a head of the wrong
    type) fails its own request only; the group around it is written, gapless."""
    before, after = draft(sub("case-a")), draft(sub("case-b"))
    broken = dataclasses.replace(draft(sub("case-c")), head="not bytes")  # type: ignore[arg-type]
    conn, outcomes = one_group(tmp_path, [[before], [broken], [after]])

    assert [type(o).__name__ for o in outcomes] == ["Placed", "TypeError", "Placed"]
    rows = conn.execute("SELECT position, event_id FROM events ORDER BY position").fetchall()
    assert rows == [(1, before.event_id), (2, after.event_id)]


def one_group(
    tmp_path: Path, requests: list[list[Draft]]
) -> tuple[sqlite3.Connection, list[Outcome]]:
    """Commit ``requests`` as one group on the writer's own connection (as the
    writer thread does), so they share a transaction for certain."""
    conn = connect_writer(tmp_path / "events.db")
    conn.execute("BEGIN IMMEDIATE")
    outcomes = Transaction(conn, datetime(2024, 3, 1, tzinfo=UTC), Tail()).apply_all(
        [(drafts, {}) for drafts in requests]
    )
    conn.execute("COMMIT")
    return conn, outcomes


def merged_upto(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT upto FROM merged").fetchone()[0])


async def test_the_index_is_merged_in_bulk_and_reads_span_index_and_tail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five events make a merge due at three: the first four (two commits) are
    merged, the fifth stays in the tail; every read, retry and conflict finds
    both, and the case reads back in version order across the two."""
    monkeypatch.setattr(sqlite_index, "MERGE_AT", 3)
    path = tmp_path / "events.db"
    subs = [sub("case-a") for _ in range(5)]
    async with SQLiteEventStore(path) as store:
        await store.append(subs[:2])
        await store.append(subs[2:4], expected_versions={"case-a": 2})
        await store.append(subs[4:], expected_versions={"case-a": 4})
        assert merged_upto(path) == 4

        assert [e.event_id for e in await store.read_case("case-a")] == [s.event_id for s in subs]
        assert [e.stream_version for e in await store.read_case("case-a", 3)] == [3, 4, 5]
        for s in (subs[0], subs[4]):  # one merged, one in the tail
            stored = await store.get(s.event_id)
            assert stored is not None
            retried = await store.append([s])
            assert (retried.created, retried.events) == ((False,), (stored,))
            with pytest.raises(IdempotencyConflict):
                await store.append([sub("case-a", event_id=s.event_id, summary="changed")])
        with pytest.raises(ConcurrencyError):
            await store.append([sub("case-a")], expected_versions={"case-a": 4})


async def test_an_idle_writer_merges_its_tail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_index, "IDLE_MERGE_SECONDS", 0.01)
    path = tmp_path / "events.db"
    async with SQLiteEventStore(path) as store:
        await store.append([sub("case-a"), sub("case-b")])
        async with asyncio.timeout(5):
            while merged_upto(path) != 2:  # noqa: ASYNC110 - the writer thread merges
                await asyncio.sleep(0.01)


async def test_two_writers_on_one_file_see_each_others_events(tmp_path: Path) -> None:
    """Two stores (two writers, as two processes would be) on one file: each one's
    copy of the tail is reloaded when the other has written, so versions, retries
    and conflicts hold across them."""
    path = tmp_path / "events.db"
    first, second = sub("case-a"), sub("case-a")
    async with SQLiteEventStore(path) as one, SQLiteEventStore(path) as other:
        await one.append([first])
        await other.append([second], expected_versions={"case-a": 1})
        with pytest.raises(ConcurrencyError):
            await one.append([sub("case-a")], expected_versions={"case-a": 1})
        retried = await one.append([second])
        assert retried.created == (False,) and retried.events[0].position == 2
        assert await other.get(first.event_id) == await one.get(first.event_id)
        with pytest.raises(IdempotencyConflict):
            await other.append([sub("case-a", event_id=first.event_id, summary="changed")])
        third = await one.append([sub("case-a")], expected_versions={"case-a": 2})
        assert third.events[0].position == 3


V1_EVENTS = """
CREATE TABLE events (
    position INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, case_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL, type TEXT NOT NULL, agency TEXT NOT NULL,
    occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, digest TEXT NOT NULL,
    body BLOB NOT NULL, chain_hash TEXT, UNIQUE (case_id, stream_version)
)
"""


async def test_a_version_1_store_is_migrated_to_the_log_layout(tmp_path: Path) -> None:
    """A store written before the log layout (unique indexes on the events table)
    opens with every event readable by id and by case, the chain intact, and
    retries and new appends working as before."""
    subs = [sub("case-a"), sub("case-b"), sub("case-a")]
    async with SQLiteEventStore(tmp_path / "new.db") as store:
        recorded = (await store.append(subs)).events
    old = tmp_path / "old.db"
    with closing(sqlite3.connect(old)) as conn, conn:
        conn.execute(V1_EVENTS)
        conn.execute("ATTACH ? AS new", (str(tmp_path / "new.db"),))
        conn.execute("INSERT INTO events SELECT * FROM new.events")
        conn.execute("PRAGMA user_version=1")

    async with SQLiteEventStore(old) as store:
        assert [await store.get(s.event_id) for s in subs] == list(recorded)
        assert [e.event_id for e in await store.read_case("case-a")] == [
            subs[0].event_id,
            subs[2].event_id,
        ]
        assert (await store.append([subs[1]])).created == (False,)
        fourth = await store.append([sub("case-b")], expected_versions={"case-b": 1})
        assert fourth.events[0].position == 4
    with closing(sqlite3.connect(old)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (2,)
        indexes = conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'events'")
        assert [name for (name,) in indexes] == ["events"]  # no unique index left
    assert merged_upto(old) >= 3


async def test_the_wal_is_checkpointed_by_its_own_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer never checkpoints (``wal_autocheckpoint=0``), and a couple of
    hundred events are far below SQLite's own threshold: the database file grows
    only because the checkpointer copied the WAL into it."""
    monkeypatch.setattr(sqlite_checkpoint, "CHECKPOINT_SECONDS", 0.01)
    path = tmp_path / "events.db"
    async with SQLiteEventStore(path) as store:
        empty = path.stat().st_size
        await store.append([sub("case-a") for _ in range(200)])
        async with asyncio.timeout(5):
            while path.stat().st_size <= empty:  # noqa: ASYNC110 - another thread writes it
                await asyncio.sleep(0.01)


async def test_a_clean_close_leaves_everything_in_the_database_file(tmp_path: Path) -> None:
    """A copy of ``events.db`` alone, taken after a clean stop, holds every event."""
    path = tmp_path / "events.db"
    async with SQLiteEventStore(path) as store:
        await store.append([sub("case-a") for _ in range(50)])
        await store.get(sub().event_id)  # a reader connection is open too
    wal = path.with_name("events.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.db"
    copy.write_bytes(path.read_bytes())
    with closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (50,)


async def test_a_page_is_decoded_in_slices_with_the_loop_let_in_between(tmp_path: Path) -> None:
    """Decoded at once, a page of 1,000 records held a store-fed projection's loop
    for 30-40 ms; another task gets turns while a page is decoded, and the page is
    whole and in order. The page's bodies, read from the file first, are handed
    back at once, so that the turns counted are the decoding's alone."""
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        await store.append([sub(f"case-{i % 7}") for i in range(450)])
        bodies = await store.read_raw(1, 1000)

        async def read_raw(from_position: int, limit: int) -> list[bytes]:
            return bodies

        store.read_raw = read_raw  # type: ignore[method-assign]
        turns = 0

        async def other_task() -> None:
            nonlocal turns
            while True:
                turns += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(other_task())
        await asyncio.sleep(0)
        before = turns
        page = await store.read_all(1, 1000)
        task.cancel()
    assert positions(page) == list(range(1, 451))
    assert turns - before >= 450 // sqlite_store.DECODE_SLICE
