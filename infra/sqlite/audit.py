"""``SQLiteAccessAudit``: the access audit in ``<data_dir>/audit.db``.

Append-only twice over: triggers refuse UPDATE and DELETE (against bugs), and
each record is hash-chained to the one before it with the event store's chain
(``infra.store.chain``), so an edit made with file access is detectable too.
One writer thread commits every record queued while it was busy in one
transaction: concurrent reads share one fsync.
"""

import asyncio
import contextlib
import queue
import sqlite3
import threading
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from events.records import canonical_bytes
from infra.audit.port import AccessRecord, AuditUnavailable, ReadAccess
from infra.clock import Clock, SystemClock
from infra.files import private_file
from infra.store import chain

SCHEMA = """
CREATE TABLE IF NOT EXISTS access (
    seq        INTEGER PRIMARY KEY,
    case_id    TEXT,
    body       BLOB NOT NULL,
    chain_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_by_case ON access (case_id, seq);
CREATE TABLE IF NOT EXISTS access_cases (
    case_id TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS access_cases_no_update BEFORE UPDATE ON access_cases
BEGIN SELECT RAISE(ABORT, 'the access audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_cases_no_delete BEFORE DELETE ON access_cases
BEGIN SELECT RAISE(ABORT, 'the access audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_no_update BEFORE UPDATE ON access
BEGIN SELECT RAISE(ABORT, 'the access audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_no_delete BEFORE DELETE ON access
BEGIN SELECT RAISE(ABORT, 'the access audit is append-only'); END;
"""

Pending = tuple[ReadAccess, asyncio.AbstractEventLoop, "asyncio.Future[AccessRecord]"]


class SQLiteAccessAudit:
    def __init__(self, path: Path, *, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self._clock = clock or SystemClock()
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False

    async def start(self) -> None:
        private_file(self.path)
        try:
            conn = await asyncio.to_thread(_connect, self.path)
        except sqlite3.Error as e:
            raise AuditUnavailable(f"cannot open {self.path}: {e}") from e
        self._thread = threading.Thread(
            target=self._run, args=(conn,), name="audit-writer", daemon=True
        )
        self._thread.start()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)

    async def record(self, access: ReadAccess) -> AccessRecord:
        if self._thread is None or self._closed:
            raise AuditUnavailable("the access audit is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AccessRecord] = loop.create_future()
        self._queue.put((access, loop, future))
        return await future

    async def query(
        self, *, case_id: str | None = None, after: int = 0, limit: int = 100
    ) -> list[AccessRecord]:
        return await asyncio.to_thread(self._query, case_id, after, limit)

    # --- the writer thread -------------------------------------------------

    def _run(self, conn: sqlite3.Connection) -> None:
        try:
            while (group := self._next_group()) is not None:
                self._commit(conn, group)
        finally:
            conn.close()

    def _next_group(self) -> list[Pending] | None:
        first = self._queue.get()
        if first is None:
            return None
        group = [first]
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return group
            if item is None:
                self._queue.put(None)  # stop after this group
                return group
            group.append(item)

    def _commit(self, conn: sqlite3.Connection, group: list[Pending]) -> None:
        outcomes: list[AccessRecord | Exception]
        try:
            conn.execute("BEGIN IMMEDIATE")
            outcomes = list(self._insert(conn, [access for access, _, _ in group]))
            conn.execute("COMMIT")
        except Exception as e:  # reported to every caller of the group, not swallowed
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            outcomes = [AuditUnavailable(f"the access audit could not commit: {e}")] * len(group)
        for (_, loop, future), outcome in zip(group, outcomes, strict=True):
            with contextlib.suppress(RuntimeError):  # the caller's loop is gone
                loop.call_soon_threadsafe(_settle, future, outcome)

    def _insert(self, conn: sqlite3.Connection, accesses: list[ReadAccess]) -> list[AccessRecord]:
        row = conn.execute(
            "SELECT seq, chain_hash FROM access ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq, prev = (row[0], bytes.fromhex(row[1])) if row else (0, chain.GENESIS)
        at = self._clock.now()
        records = []
        for access in accesses:
            seq += 1
            body = canonical_bytes({"seq": seq, "at": at.isoformat(), **asdict(access)})
            prev = chain.link(prev, body)
            conn.execute(
                "INSERT INTO access (seq, case_id, body, chain_hash) VALUES (?, ?, ?, ?)",
                (seq, access.case_id, body, prev.hex()),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO access_cases (case_id, seq) VALUES (?, ?)",
                [(case_id, seq) for case_id in access.case_ids],
            )
            records.append(AccessRecord(seq, at, access, prev.hex()))
        return records

    # --- reads ---------------------------------------------------------------

    def _query(self, case_id: str | None, after: int, limit: int) -> list[AccessRecord]:
        sql = "SELECT body, chain_hash FROM access WHERE seq > ?"
        params: list[Any] = [after]
        if case_id is not None:
            sql += " AND (case_id = ? OR seq IN (SELECT seq FROM access_cases WHERE case_id = ?))"
            params += [case_id, case_id]
        sql += " ORDER BY seq LIMIT ?"
        try:
            conn = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)
            try:
                rows = conn.execute(sql, [*params, limit]).fetchall()
            finally:
                conn.close()
        except sqlite3.Error as e:
            raise AuditUnavailable(f"cannot read {self.path}: {e}") from e
        return [_decode(body, chain_hash) for body, chain_hash in rows]


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.executescript(SCHEMA)
    return conn


def _decode(body: bytes, chain_hash: str) -> AccessRecord:
    obj = orjson.loads(body)
    seq, at = int(obj.pop("seq")), datetime.fromisoformat(obj.pop("at"))
    obj["case_ids"] = tuple(obj.get("case_ids", ()))
    return AccessRecord(seq, at, ReadAccess(**obj), chain_hash)


def _settle(future: "asyncio.Future[AccessRecord]", outcome: AccessRecord | Exception) -> None:
    if future.done():
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
