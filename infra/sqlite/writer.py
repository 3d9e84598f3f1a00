"""Group commit: the single writer thread behind ``SQLiteEventStore``.

SQLite has one writer at a time and every durable commit costs an fsync. The
writer drains every append queued while it was busy into one transaction, so N
concurrent appends cost one fsync, not N. The group is planned in memory before
anything is written (``infra.sqlite.transaction``), so one request's conflict leaves
that request out and the rest of the group is stored. Between groups the writer
merges the log's tail into the index tables when it is due (``infra.sqlite.index``);
a thread of its own checkpoints the WAL (``infra.sqlite.checkpoint``).
"""

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from infra.clock import Clock
from infra.sqlite.checkpoint import Checkpointer
from infra.sqlite.drafts import Draft, Placed
from infra.sqlite.index import Tail, merge
from infra.sqlite.schema import connect_writer, rollback
from infra.sqlite.transaction import Outcome, Transaction
from infra.store.port import StoreUnavailable

MAX_GROUP = 256
MAX_GROUP_EVENTS = 10_000
"""Requests and events per transaction: bound how long one commit holds the lock."""


@dataclass(slots=True)
class WriteRequest:
    drafts: Sequence[Draft]
    expected_versions: Mapping[str, int]
    loop: asyncio.AbstractEventLoop
    future: "asyncio.Future[Placed]"


class _Stop:
    """Queued by ``stop``; every request queued before it is still written."""


class GroupCommitWriter:
    def __init__(
        self, path: Path, clock: Clock, on_commit: Callable[[], None], *, chain: bool = True
    ) -> None:
        self._path, self._clock, self._on_commit = path, clock, on_commit
        self._chain = chain
        self._tail = Tail()
        self._queue: queue.SimpleQueue[WriteRequest | _Stop] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._stopped = False
        self._checkpointer = Checkpointer(path)
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

    def tail_position(self, event_id: str) -> int | None:
        """Where this writer put ``event_id``, if it is in the unmerged tail: a
        reader can then fetch it by position instead of scanning the tail. (A
        miss proves nothing: another process may have written it.)"""
        return self._tail.ids.get(event_id)

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
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's job
        except sqlite3.Error as e:
            self.ready.set_exception(StoreUnavailable(f"cannot open {self._path}: {e}"))
            self._die()
            return
        checkpointer = self._checkpointer
        checkpointer.start()
        self.ready.set_result(None)
        try:
            stop = False
            while not stop:
                group, stop = self._next_group()
                if group:
                    self._commit(conn, group)
                if self._tail.merge_due(idle=not group):
                    merge(conn, self._tail)
        except BaseException:
            self._die()  # never leave callers awaiting a writer that is gone
            raise
        finally:
            checkpointer.stop()
            with contextlib.suppress(sqlite3.Error):  # a reader still open: the WAL stays
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # a clean stop leaves one file
            conn.close()

    def _next_group(self) -> tuple[list[WriteRequest], bool]:
        """The requests queued now (waiting for one), or none once the writer has
        been idle long enough to merge its tail."""
        try:
            first = self._queue.get(timeout=self._tail.idle_timeout())
        except queue.Empty:
            return [], False
        if isinstance(first, _Stop):
            return [], True
        group, events = [first], len(first.drafts)
        while len(group) < MAX_GROUP and events < MAX_GROUP_EVENTS:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Stop):
                return group, True
            group.append(item)
            events += len(item.drafts)
        return group, False

    def _commit(self, conn: sqlite3.Connection, group: list[WriteRequest]) -> None:
        outcomes: list[Outcome]
        try:
            conn.execute("BEGIN IMMEDIATE")
            tx = Transaction(conn, self._clock.now(), self._tail, chain=self._chain)
            outcomes = tx.apply_all([(r.drafts, r.expected_versions) for r in group])
            conn.execute("COMMIT")
            self._checkpointer.committed(conn)
            self._tail.extend(tx.rows)
        except Exception as e:  # reported to every caller of the group, not swallowed
            rollback(conn)
            self._tail.forget()
            outcomes = [_unavailable(e) for _ in group]
        _settle_all(group, outcomes)
        if any(isinstance(o, Placed) and any(o.created) for o in outcomes):
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
                _settle_all([item], [StoreUnavailable(f"the writer of {self._path} stopped")])


def _settle_all(group: Sequence[WriteRequest], outcomes: Sequence[Outcome]) -> None:
    """One wake-up per event loop for the whole group, not one per request: each
    ``call_soon_threadsafe`` writes to the loop's self-pipe."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[WriteRequest, Outcome]]] = {}
    for request, outcome in zip(group, outcomes, strict=True):
        by_loop.setdefault(request.loop, []).append((request, outcome))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the caller's loop closed: nobody to tell
            loop.call_soon_threadsafe(_resolve, settled)


def _resolve(settled: Sequence[tuple[WriteRequest, Outcome]]) -> None:
    for request, outcome in settled:
        if request.future.done():
            continue  # the caller gave up waiting; what was committed stays committed
        if isinstance(outcome, Placed):
            request.future.set_result(outcome)
        else:
            request.future.set_exception(outcome)


def _unavailable(e: Exception) -> StoreUnavailable:
    error = StoreUnavailable(f"the event store could not commit: {e}")
    error.__cause__ = e
    return error
