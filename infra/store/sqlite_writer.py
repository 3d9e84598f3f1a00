"""Group commit: the single writer thread behind ``SQLiteEventStore``.

SQLite has one writer at a time and every durable commit costs an fsync. The
writer drains every append queued while it was busy into one transaction, so N
concurrent appends cost one fsync, not N. A SAVEPOINT per request keeps them
independent: one request's conflict rolls back that request only.
"""

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from events.records import RecordedEvent, Submission
from infra.clock import Clock
from infra.store.port import (
    AppendResult,
    ConcurrencyError,
    IdempotencyConflict,
    StoreUnavailable,
)
from infra.store.sqlite_schema import connect_writer, decode, insert_event

MAX_GROUP = 256
"""Requests per transaction: bounds how long one commit holds the write lock."""

Outcome = AppendResult | Exception


@dataclass(slots=True)
class WriteRequest:
    submissions: Sequence[Submission]
    expected_versions: Mapping[str, int]
    loop: asyncio.AbstractEventLoop
    future: "asyncio.Future[AppendResult]"


class _Stop:
    """Queued by ``stop``; every request queued before it is still written."""


class GroupCommitWriter:
    def __init__(self, path: Path, clock: Clock, on_commit: Callable[[], None]) -> None:
        self._path, self._clock, self._on_commit = path, clock, on_commit
        self._queue: queue.SimpleQueue[WriteRequest | _Stop] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self.ready: Future[None] = Future()
        """Resolves once the file is open and the schema exists (or failed to)."""

    def start(self) -> None:
        self._thread.start()

    def submit(self, request: WriteRequest) -> None:
        with self._lock:
            if self._stopped:
                raise StoreUnavailable("the event store is closed")
            self._queue.put(request)

    def stop(self) -> None:
        """Finish what was queued, then close the connection. Blocks: run in a thread."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._queue.put(_Stop())
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = connect_writer(self._path)
        except sqlite3.Error as e:
            self.ready.set_exception(StoreUnavailable(f"cannot open {self._path}: {e}"))
            self._die()
            return
        self.ready.set_result(None)
        try:
            stop = False
            while not stop:
                group, stop = self._next_group()
                if group:
                    self._commit(conn, group)
        except BaseException:
            self._die()  # never leave callers awaiting a writer that is gone
            raise
        finally:
            conn.close()

    def _next_group(self) -> tuple[list[WriteRequest], bool]:
        first = self._queue.get()
        if isinstance(first, _Stop):
            return [], True
        group = [first]
        while len(group) < MAX_GROUP:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Stop):
                return group, True
            group.append(item)
        return group, False

    def _commit(self, conn: sqlite3.Connection, group: list[WriteRequest]) -> None:
        outcomes: list[Outcome]
        try:
            conn.execute("BEGIN IMMEDIATE")
            tx = _Transaction(conn, self._clock.now())
            outcomes = [tx.apply(request) for request in group]
            conn.execute("COMMIT")
        except Exception as e:  # reported to every caller of the group, not swallowed
            _rollback(conn)
            outcomes = [_unavailable(e) for _ in group]
        for request, outcome in zip(group, outcomes, strict=True):
            _settle(request, outcome)
        if any(isinstance(o, AppendResult) and not o.none_created for o in outcomes):
            self._on_commit()

    def _die(self) -> None:
        with self._lock:
            self._stopped = True
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, WriteRequest):
                _settle(item, StoreUnavailable(f"the writer of {self._path} stopped"))


class _Transaction:
    """One group's transaction: the head, case versions and clock it has seen."""

    def __init__(self, conn: sqlite3.Connection, now: datetime) -> None:
        self._conn = conn
        row = conn.execute(
            "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1"
        ).fetchone()
        self._head = row[0] if row else 0
        last = datetime.fromisoformat(row[1]) if row else None
        self._recorded_at = max(now, last) if last else now
        self._versions: dict[str, int] = {}

    def apply(self, request: WriteRequest) -> Outcome:
        self._conn.execute("SAVEPOINT request")
        try:
            result, versions, head = self._append(request)
        except sqlite3.Error:
            raise  # the transaction itself is in doubt: the whole group fails
        except Exception as e:  # a conflict, or a bug in this request: handed to its caller
            self._conn.execute("ROLLBACK TO request")
            self._conn.execute("RELEASE request")
            return e
        self._conn.execute("RELEASE request")
        self._versions.update(versions)
        self._head = head
        return result

    def _append(self, request: WriteRequest) -> tuple[AppendResult, dict[str, int], int]:
        plan = _Plan(request.submissions)
        for i, sub in enumerate(request.submissions):
            plan.classify(i, sub, self._stored(sub.event_id))
        self._check_versions(request.expected_versions, plan)
        versions: dict[str, int] = {}
        head = self._head
        for i, sub in plan.new():
            head += 1
            versions[sub.case_id] = versions.get(sub.case_id, self._version(sub.case_id)) + 1
            record = RecordedEvent.from_submission(
                sub,
                position=head,
                stream_version=versions[sub.case_id],
                recorded_at=self._recorded_at,
            )
            insert_event(self._conn, record, plan.digests[i])
            plan.record(i, record)
        return plan.result(), versions, head

    def _check_versions(self, expected: Mapping[str, int], plan: "_Plan") -> None:
        for case_id, version in expected.items():
            if case_id in plan.retried_cases():
                continue
            actual = self._version(case_id)
            if actual != version:
                raise ConcurrencyError(case_id, version, actual)

    def _stored(self, event_id: str) -> tuple[str, bytes] | None:
        row = self._conn.execute(
            "SELECT digest, body FROM events WHERE event_id = ?", (event_id,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def _version(self, case_id: str) -> int:
        if case_id not in self._versions:
            row = self._conn.execute(
                "SELECT max(stream_version) FROM events WHERE case_id = ?", (case_id,)
            ).fetchone()
            self._versions[case_id] = row[0] or 0
        return self._versions[case_id]


@dataclass(slots=True)
class _Plan:
    """What one request does: which submissions are new, retries or duplicates."""

    submissions: Sequence[Submission]
    digests: list[str] = field(default_factory=list)
    records: dict[int, RecordedEvent] = field(default_factory=dict)
    duplicate_of: dict[int, int] = field(default_factory=dict)
    first_index: dict[str, int] = field(default_factory=dict)
    new_cases: set[str] = field(default_factory=set)
    created: set[int] = field(default_factory=set)

    def classify(self, i: int, sub: Submission, stored: tuple[str, bytes] | None) -> None:
        digest = sub.digest()
        self.digests.append(digest)
        first = self.first_index.setdefault(sub.event_id, i)
        if first != i:
            if self.digests[first] != digest:
                raise IdempotencyConflict(sub.event_id)
            self.duplicate_of[i] = first
        elif stored is not None:
            if stored[0] != digest:
                raise IdempotencyConflict(sub.event_id)
            self.records[i] = decode(stored[1])
        else:
            self.new_cases.add(sub.case_id)

    def new(self) -> list[tuple[int, Submission]]:
        return [
            (i, s)
            for i, s in enumerate(self.submissions)
            if i not in self.records and i not in self.duplicate_of
        ]

    def retried_cases(self) -> set[str]:
        """Cases this request only retries: their expected version was met before."""
        return {s.case_id for s in self.submissions} - self.new_cases

    def record(self, i: int, record: RecordedEvent) -> None:
        self.records[i] = record
        self.created.add(i)

    def result(self) -> AppendResult:
        n = len(self.submissions)
        created = tuple(i in self.created for i in range(n))
        events = tuple(self.records[self.duplicate_of.get(i, i)] for i in range(n))
        return AppendResult(events=events, created=created)


def _settle(request: WriteRequest, outcome: Outcome) -> None:
    def resolve() -> None:
        if request.future.done():
            return  # the caller gave up waiting; what was committed stays committed
        if isinstance(outcome, AppendResult):
            request.future.set_result(outcome)
        else:
            request.future.set_exception(outcome)

    with contextlib.suppress(RuntimeError):  # the caller's loop closed: nobody to tell
        request.loop.call_soon_threadsafe(resolve)


def _rollback(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):  # no transaction open, or connection gone
        conn.execute("ROLLBACK")


def _unavailable(e: Exception) -> StoreUnavailable:
    error = StoreUnavailable(f"the event store could not commit: {e}")
    error.__cause__ = e
    return error
