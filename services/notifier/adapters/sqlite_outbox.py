"""``SQLiteOutbox``: the notifier's durable delivery state (WAL, synchronous=FULL).

One connection owned by one worker thread: calls are serialised without
blocking the event loop, and every write is a single committed transaction.
"""

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import orjson

from events.records import Submission
from infra.files import private_file
from services.notifier.adapters import outbox_lease as lease
from services.notifier.adapters.outbox_rows import (
    INSERT,
    RESTORE,
    add_audit,
    alert_of,
    dt,
    restored_row,
    row_of,
    ts,
    write_attempt,
)
from services.notifier.adapters.outbox_schema import CONCERNS_WHERE, SCHEMA, STATUS_WHERE
from services.notifier.domain.alerts import Alert, NewAlert
from services.notifier.errors import LeaseLost
from services.notifier.ports import AlertQuery, AttemptRecord

T = TypeVar("T")
_OPEN_ESCALATION = "escalate_at IS NOT NULL AND acknowledged_at IS NULL AND escalated_at IS NULL"

_STOP_CHAIN = f"""WITH RECURSIVE chain(id) AS (
    SELECT escalated_alert_id FROM alerts WHERE alert_id = ? AND escalated_alert_id IS NOT NULL
    UNION SELECT a.escalated_alert_id FROM alerts a JOIN chain c ON a.alert_id = c.id
    WHERE a.escalated_alert_id IS NOT NULL)
UPDATE alerts SET escalate_at = NULL
WHERE alert_id IN (SELECT id FROM chain) AND {_OPEN_ESCALATION}"""
"""An acknowledgement, however late, stops escalation further down its chain."""


class SQLiteOutbox:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self._db: sqlite3.Connection | None = None
        self._attempts: list[tuple[AttemptRecord, int]] = []
        self._next_commit: asyncio.Future[set[str]] | None = None
        self._committing = False
        self._commit_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._run(self._open)

    def _open(self) -> None:
        private_file(self._path)
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA)
        lease.migrate(db)
        self._db = db

    async def close(self) -> None:
        if self._commit_task is not None:
            await asyncio.gather(self._commit_task, return_exceptions=True)
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._executor.shutdown(wait=True)

    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def _tx(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

        return await self._run(run)

    async def _query(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        return await self._run(lambda: self._conn().execute(sql, params).fetchall())

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("SQLiteOutbox.start() was not awaited")
        return self._db

    async def enqueue(
        self,
        alerts: Sequence[NewAlert],
        findings: Sequence[Mapping[str, Any]] = (),
        cancel_escalations: Iterable[str] = (),
    ) -> int:
        rows = [row_of(a) for a in alerts]
        seen = [
            (f["finding_id"], f["case_id"], f["status"], orjson.dumps(dict(f))) for f in findings
        ]
        cancel = [(f,) for f in cancel_escalations]

        def work(db: sqlite3.Connection) -> int:
            before = db.total_changes
            db.executemany(INSERT, rows)
            inserted = db.total_changes - before
            db.executemany("INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?)", seen)
            db.executemany(
                f"UPDATE alerts SET escalate_at = NULL WHERE finding_id = ? AND {_OPEN_ESCALATION}",
                cancel,
            )
            return inserted

        return await self._tx(work)

    async def acquire_or_renew(self, owner: str, ttl: timedelta, now: datetime) -> int | None:
        return await self._tx(lambda db: lease.acquire_or_renew(db, owner, ttl, now))

    async def release_lease(self, owner: str) -> None:
        await self._tx(lambda db: lease.release(db, owner))

    async def claim_due(
        self,
        token: int,
        now: datetime,
        limit: int,
        claim_for: timedelta,
        exclude: Iterable[str] = (),
    ) -> list[Alert]:
        skip = list(exclude)
        rows = await self._tx(lambda db: lease.claim(db, token, now, limit, now + claim_for, skip))
        return [alert_of(r) for r in rows]

    async def record_attempt(self, record: AttemptRecord, token: int) -> None:
        """Group commit: attempts that finish while a commit is under way share the
        next one, so many deliveries in flight do not queue behind one fsync each."""
        loop = asyncio.get_running_loop()
        if self._next_commit is None:
            self._next_commit = loop.create_future()
        waiter = self._next_commit
        self._attempts.append((record, token))
        if not self._committing:
            self._committing = True
            self._commit_task = loop.create_task(self._commit_attempts())
        refused = await asyncio.shield(waiter)  # a cancelled caller must not cancel the others'
        if record.alert_id in refused:
            raise LeaseLost(token)

    async def _commit_attempts(self) -> None:
        try:
            while self._attempts:
                batch, done = self._attempts, self._next_commit
                self._attempts, self._next_commit = [], None
                assert done is not None
                try:
                    refused = await self._tx(functools.partial(_write_attempts, batch=batch))
                except Exception as e:  # handed to every waiter, not swallowed
                    done.set_exception(e)
                else:
                    done.set_result(refused)
        finally:
            self._committing = False

    async def due_escalations(self, now: datetime) -> list[Alert]:
        rows = await self._query(
            f"SELECT * FROM alerts WHERE {_OPEN_ESCALATION} AND escalate_at <= ?"
            " ORDER BY escalate_at",
            now.timestamp(),
        )
        return [alert_of(r) for r in rows]

    async def escalate(
        self, alert_id: str, escalation: NewAlert, at: datetime, audit: Submission, token: int
    ) -> None:
        def work(db: sqlite3.Connection) -> None:
            lease.check_token(db, token)
            db.execute(INSERT, row_of(escalation))
            db.execute(
                f"UPDATE alerts SET escalated_at = ?, escalated_alert_id = ?"
                f" WHERE alert_id = ? AND {_OPEN_ESCALATION}",
                (ts(at), escalation.alert_id, alert_id),
            )
            add_audit(db, audit)

        await self._tx(work)

    async def acknowledge(
        self, alert_id: str, by: str, at: datetime, audit: Submission
    ) -> Alert | None:
        def work(db: sqlite3.Connection) -> Alert | None:
            row = db.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
            if row is None or row["acknowledged_at"] is not None:
                return None if row is None else alert_of(row)
            db.execute(
                "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE alert_id = ?",
                (ts(at), by, alert_id),
            )
            db.execute(_STOP_CHAIN, (alert_id,))
            add_audit(db, audit)
            row = db.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
            return alert_of(row)

        return await self._tx(work)

    async def next_wake(self, exclude: Iterable[str] = ()) -> datetime | None:
        skip = list(exclude)
        marks = ",".join("?" * len(skip))
        rows = await self._query(
            "SELECT MIN(t) FROM ("
            "SELECT MIN(MAX(next_attempt_at, COALESCE(claimed_until, 0))) AS t"
            " FROM alerts WHERE delivery = 'pending'"
            f" AND alert_id NOT IN ({marks})"
            f" UNION ALL SELECT MIN(escalate_at) FROM alerts WHERE {_OPEN_ESCALATION})",
            *skip,
        )
        return dt(rows[0][0])

    async def get(self, alert_id: str) -> Alert | None:
        rows = await self._query("SELECT * FROM alerts WHERE alert_id = ?", alert_id)
        return alert_of(rows[0]) if rows else None

    async def list_alerts(self, query: AlertQuery, limit: int, offset: int = 0) -> list[Alert]:
        where, params = _alert_filter(query)
        rows = await self._query(
            f"SELECT * FROM alerts WHERE {where} ORDER BY created_at DESC, alert_id"
            f" LIMIT ?{len(params) + 1} OFFSET ?{len(params) + 2}",
            *params,
            limit,
            offset,
        )
        return [alert_of(r) for r in rows]

    async def count_alerts(self, query: AlertQuery) -> int:
        where, params = _alert_filter(query)
        [(count,)] = await self._query(f"SELECT count(*) FROM alerts WHERE {where}", *params)
        return int(count)

    async def finding(self, finding_id: str) -> Mapping[str, Any] | None:
        rows = await self._query("SELECT finding FROM findings WHERE finding_id = ?", finding_id)
        return orjson.loads(rows[0][0]) if rows else None

    async def alerts_for_finding(self, finding_id: str) -> list[Alert]:
        rows = await self._query(
            "SELECT * FROM alerts WHERE finding_id = ? ORDER BY created_at", finding_id
        )
        return [alert_of(r) for r in rows]

    async def disabled_subscriptions(self) -> Mapping[str, str]:
        rows = await self._query("SELECT name, reason FROM disabled_subscriptions")
        return {r["name"]: r["reason"] for r in rows}

    async def enable_subscription(self, name: str) -> None:
        await self._tx(
            lambda db: db.execute("DELETE FROM disabled_subscriptions WHERE name = ?", (name,))
        )

    async def needs_restore(self) -> bool:
        rows = await self._query(
            "SELECT (SELECT count(*) FROM meta WHERE key = 'restored')"
            " + (SELECT count(*) FROM (SELECT 1 FROM alerts LIMIT 1))"
        )
        return bool(rows[0][0] == 0)

    async def restore(self, alerts: Sequence[Alert]) -> None:
        rows = [restored_row(a) for a in alerts]

        def work(db: sqlite3.Connection) -> None:
            db.executemany(RESTORE, rows)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('restored', 'yes')")

        await self._tx(work)

    async def add_audit(self, audit: Submission) -> None:
        await self._tx(lambda db: add_audit(db, audit))

    async def pending_audit(self, limit: int) -> list[tuple[int, Submission]]:
        rows = await self._query(
            "SELECT seq, agency, envelope FROM audit_outbox WHERE appended = 0"
            " ORDER BY seq LIMIT ?",
            limit,
        )
        return [
            (r["seq"], Submission(envelope=orjson.loads(r["envelope"]), agency=r["agency"]))
            for r in rows
        ]

    async def mark_audited(self, seqs: Sequence[int]) -> None:
        await self._tx(
            lambda db: db.executemany(
                "UPDATE audit_outbox SET appended = 1 WHERE seq = ?", [(s,) for s in seqs]
            )
        )


def _alert_filter(query: AlertQuery) -> tuple[str, list[str]]:
    """The WHERE clause of a list of alerts, and its parameters (``?1``: the agency)."""
    clauses, params = [], []
    if query.concerning is not None:
        clauses.append(CONCERNS_WHERE)
        params.append(query.concerning)
    if query.statuses:
        clauses.append("(" + " OR ".join(f"({STATUS_WHERE[s]})" for s in query.statuses) + ")")
    return " AND ".join(clauses) or "1", params


def _write_attempts(db: sqlite3.Connection, batch: Sequence[tuple[AttemptRecord, int]]) -> set[str]:
    """Returns the alerts whose result was refused: their token is stale."""
    return {r.alert_id for r, token in batch if not write_attempt(db, r, token)}
