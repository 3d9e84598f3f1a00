"""``SQLiteEventStore``: the embedded default event store, one file in WAL mode.

Writes go through one writer thread with group commit (``infra.sqlite.writer``) and
land at the end of a log whose indexes are merged in bulk (``infra.sqlite.index``);
reads use per-thread read-only connections in a small pool, so neither the
event loop nor the writer waits on a reader.
"""

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from events.records import RecordedEvent, Submission
from infra.clock import Clock, SystemClock
from infra.sqlite.drafts import Placed, drafts
from infra.sqlite.index import GET_BODY, READ_CASE
from infra.sqlite.schema import connect_reader, decode
from infra.sqlite.writer import GroupCommitWriter, WriteRequest
from infra.store.port import AppendResult, StoreUnavailable
from infra.turns import give_way

T = TypeVar("T")

POLL_SECONDS = 0.05
"""How often a live subscription looks for appends made by another process."""
PAGE = 1_000
DECODE_SLICE = 200
"""Records of a page decoded in one turn of the event loop: a page of 1,000 at
once held a store-fed projection's loop for 30-40 ms."""
SUBJECTS_KEY = b'"subjects":'
"""How a stored body that carries identifiers holds them (canonical JSON, a BLOB)."""


class SQLiteEventStore:
    def __init__(
        self,
        path: Path,
        *,
        clock: Clock | None = None,
        readers: int = 4,
        hash_chain: bool = True,
    ) -> None:
        self.path = Path(path)
        self._hash_chain = hash_chain
        """Off only to measure its cost (``trust.hash_chain``); ``verify`` then fails."""
        self._clock = clock or SystemClock()
        self._readers = readers
        self._writer: GroupCommitWriter | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._appended = asyncio.Event()
        self._closed = False

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Open the file (creating it and the schema) and start the writer."""
        self._loop = asyncio.get_running_loop()
        self._writer = GroupCommitWriter(
            self.path, self._clock, self._signal_appended, chain=self._hash_chain
        )
        self._writer.start()
        await asyncio.wrap_future(self._writer.ready)
        self._pool = ThreadPoolExecutor(self._readers, thread_name_prefix="sqlite-read")

    async def close(self) -> None:
        """Write what was queued, wake subscribers so they end, close connections."""
        if self._closed:
            return
        self._closed = True
        self._wake_subscribers()
        if self._writer is not None:
            await asyncio.to_thread(self._writer.stop)
        if self._pool is not None:
            await asyncio.to_thread(self._pool.shutdown, True)
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- the EventStore port ------------------------------------------------

    async def append(
        self,
        submissions: Sequence[Submission],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        if self._writer is None or self._loop is None or self._closed:
            raise StoreUnavailable("the event store is not open")
        if not submissions:
            return AppendResult(events=(), created=())
        drafted = drafts(submissions)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Placed] = loop.create_future()
        self._writer.submit(WriteRequest(drafted, dict(expected_versions or {}), loop, future))
        placed = await future
        return placed.result(drafted)

    async def get(self, event_id: str) -> RecordedEvent | None:
        position = self._writer.tail_position(event_id) if self._writer else None
        rows = []
        if position is not None:  # committed by this process, not merged yet
            rows = await self._query("SELECT body FROM events WHERE position = ?", position)
        if not rows:
            rows = await self._query(GET_BODY, event_id)
        return decode(rows[0][0]) if rows else None

    async def read_case(self, case_id: str, from_version: int = 1) -> list[RecordedEvent]:
        rows = await self._query(READ_CASE, case_id, from_version)
        return [decode(row[0]) for row in rows]

    async def read_all(self, from_position: int = 1, limit: int = 1000) -> list[RecordedEvent]:
        bodies = await self.read_raw(from_position, limit)
        events: list[RecordedEvent] = []
        for start in range(0, len(bodies), DECODE_SLICE):
            if start:
                await give_way()  # let the loop in between slices
            events += [decode(body) for body in bodies[start : start + DECODE_SLICE]]
        return events

    async def head_position(self) -> int:
        rows = await self._query("SELECT max(position) FROM events")
        return int(rows[0][0] or 0)

    async def subscribe(self, from_position: int = 1) -> AsyncIterator[RecordedEvent]:
        """Catch up page by page, then follow live appends until the store closes.

        Woken at once by appends in this process, and every ``POLL_SECONDS``
        for appends made by another process writing the same file.
        """
        position = from_position
        while not self._closed:
            signal = self._appended  # taken before reading: no append is missed
            try:
                page = await self.read_all(position, PAGE)
            except StoreUnavailable:
                if self._closed:
                    return
                raise
            for event in page:
                yield event
                position = event.position + 1
            if len(page) < PAGE:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(POLL_SECONDS):
                        await signal.wait()

    # --- SQLite-specific fast paths for rebuilds and benchmarks -------------

    async def read_raw(self, from_position: int, limit: int) -> list[bytes]:
        """Stored bodies (orjson of ``RecordedEvent.to_json()``) in position order."""
        rows = await self._query(
            "SELECT body FROM events WHERE position >= ? ORDER BY position LIMIT ?",
            from_position,
            limit,
        )
        return [row[0] for row in rows]

    def iter_bodies_sync(self, from_position: int = 1, batch: int = 10_000) -> Iterator[bytes]:
        """Every stored body from ``from_position``, synchronously, on a private
        connection. SQLite-specific: for rebuilds that fold millions of events in
        one thread, where a hop to a thread pool per page would dominate."""
        try:
            conn = connect_reader(self.path)
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot read {self.path}: {e}") from e
        try:
            position = from_position
            while True:
                rows = conn.execute(
                    "SELECT position, body FROM events WHERE position >= ?"
                    " ORDER BY position LIMIT ?",
                    (position, batch),
                ).fetchall()
                yield from (row[1] for row in rows)
                if len(rows) < batch:
                    return
                position = rows[-1][0] + 1
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot read {self.path}: {e}") from e
        finally:
            conn.close()

    def iter_cases_sync(self, up_to: int) -> Iterator[tuple[str, list[bytes]]]:
        """Every case's stored bodies up to position ``up_to``, one case at a time in
        stream order, on a private connection in one read snapshot. SQLite-specific:
        a rebuild folds each case once, whole, however many cases there are, where
        position order would interleave them all. Walks the case index in its own
        order (no sort); the unmerged tail, kept short by the writer, is read first."""
        try:
            conn = connect_reader(self.path)
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot read {self.path}: {e}") from e
        try:
            conn.execute("BEGIN")
            tail: dict[str, list[bytes]] = {}
            for case_id, body in conn.execute(
                "SELECT case_id, body FROM events WHERE position > (SELECT upto FROM merged)"
                " AND position <= ? ORDER BY position",
                (up_to,),
            ):
                tail.setdefault(case_id, []).append(body)
            current: str | None = None
            bodies: list[bytes] = []
            for case_id, body in conn.execute(
                "SELECT c.case_id, e.body FROM case_streams AS c"
                " JOIN events AS e ON e.position = c.position"
                " WHERE c.position <= ? ORDER BY c.case_id, c.stream_version",
                (up_to,),
            ):
                if case_id != current:
                    if current is not None:
                        yield current, bodies + tail.pop(current, [])
                    current, bodies = case_id, []
                bodies.append(body)
            if current is not None:
                yield current, bodies + tail.pop(current, [])
            yield from tail.items()
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot read {self.path}: {e}") from e
        finally:
            conn.close()

    def iter_linking_sync(
        self, up_to: int, types: Collection[str]
    ) -> Iterator[tuple[str, bytes | None]]:
        """What linking cases needs of the log up to ``up_to``, in position order,
        without decoding every event: each case's first event as its case id alone
        (the case seen first names a joint case), and the body of every event of
        ``types`` or carrying identifiers. The test for identifiers runs in SQLite
        on the stored bytes (a body with subjects holds the key; a false match only
        costs a decode). SQLite-specific: a rebuild links before it folds."""
        kinds = ", ".join("?" * len(types))
        chosen = f"(type IN ({kinds}) OR instr(body, ?) > 0)"
        try:
            conn = connect_reader(self.path)
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot read {self.path}: {e}") from e
        try:
            yield from conn.execute(
                f"SELECT case_id, CASE WHEN {chosen} THEN body END FROM events"
                f" WHERE position <= ? AND (stream_version = 1 OR {chosen}) ORDER BY position",
                (*types, SUBJECTS_KEY, up_to, *types, SUBJECTS_KEY),
            )
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot read {self.path}: {e}") from e
        finally:
            conn.close()

    # --- internals ----------------------------------------------------------

    async def _query(self, sql: str, *params: Any) -> list[Any]:
        return await self._in_reader(lambda conn: conn.execute(sql, params).fetchall())

    async def _in_reader(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._pool is None or self._closed:
            raise StoreUnavailable("the event store is not open")
        try:
            future = asyncio.get_running_loop().run_in_executor(self._pool, self._run_read, work)
        except RuntimeError as e:  # the pool shut down under us
            raise StoreUnavailable("the event store is closed") from e
        return await future

    def _run_read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return work(self._reader())
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot read {self.path}: {e}") from e

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect_reader(self.path)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _signal_appended(self) -> None:
        """Called by the writer thread after a commit that stored something."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._wake_subscribers)

    def _wake_subscribers(self) -> None:
        self._appended.set()
        self._appended = asyncio.Event()
