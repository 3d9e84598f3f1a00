"""The projection's read model: the checkpoint, the last status announced for
each finding and, when fed from Kafka, a copy of each case's events.

A Kafka-fed projection keeps the events here because it cannot re-read the store
and the topic may not keep its full history; events and checkpoint are written in
one transaction, so a redelivered event is a harmless no-op (``INSERT OR IGNORE``
on ``event_id``) and a crash before the offset commit redelivers rather than
loses. A store-fed projection keeps no copy: the store is the record, and the
case picture is folded again from it at start-up.

Several members of a partitioned (Kafka) projection may share one file: each
writes the events of the partitions it owns, and records which partition each
case is on, so the member that takes a partition over loads the whole history
of its cases from here. WAL lets them read while one writes; a busy timeout
makes writers queue rather than fail.

``synchronous=NORMAL``: losing the last announcement on power loss only makes the
projection announce it again, and the notifier's outbox drops the repeat.
"""

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import orjson

from events.records import RecordedEvent
from infra.files import private_file

BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another member sharing the file to finish its own."""
CHECKPOINT_EVERY = 1.0
"""Seconds between checkpoint writes when the store, not this file, keeps the events."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS case_events (
    event_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS case_events_case ON case_events (case_id, position);
CREATE TABLE IF NOT EXISTS checkpoint (
    source TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS case_partitions (
    case_id TEXT PRIMARY KEY,
    partition INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS case_partitions_partition ON case_partitions (partition);
CREATE TABLE IF NOT EXISTS announced (
    finding_id TEXT PRIMARY KEY,
    status TEXT NOT NULL
);
"""


class ProjectionRepository:
    """SQLite read model. Calls are short and synchronous; the service runs them
    in worker threads so the event loop stays free, and a lock makes them take
    turns: two loops may write at once, and a stop may close the file while a
    cancelled save still runs in its thread (closing a connection under a query
    crashes the process in the ``sqlite3`` module)."""

    def __init__(self, path: Path, *, keep_events: bool) -> None:
        private_file(path)
        self.keep_events = keep_events
        self._pending = 0
        self._flushed_at = 0.0
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            if not self.keep_events:
                self.save_checkpoint()
            self._db.close()

    def checkpoint(self, source: str = "store") -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT position FROM checkpoint WHERE source = ?", (source,)
            ).fetchone()
        return int(row[0]) if row else 0

    def save(
        self,
        events: Iterable[RecordedEvent],
        source: str = "store",
        partitions: Mapping[str, int] | None = None,
    ) -> list[RecordedEvent]:
        """Keep the events (if this model keeps them) and advance the checkpoint in
        one transaction; returns the events not seen before, as far as it can tell.

        Without kept events the checkpoint is only a start-up hint (the history is
        folded from the store either way), so it is written at most once a second
        rather than once per batch: see ``save_checkpoint``.
        """
        with self._lock:
            return self._save(list(events), source, partitions or {})

    def _save(
        self, batch: list[RecordedEvent], source: str, partitions: Mapping[str, int]
    ) -> list[RecordedEvent]:
        top = max((event.position for event in batch), default=0)
        if not self.keep_events:
            self._pending = max(self._pending, top)
            if time.monotonic() - self._flushed_at >= CHECKPOINT_EVERY:
                self.save_checkpoint(source)
            return batch
        fresh: list[RecordedEvent] = []
        with self._transaction():
            for event in batch:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO case_events VALUES (?, ?, ?, ?)",
                    (event.event_id, event.case_id, event.position, orjson.dumps(event.to_json())),
                )
                if cursor.rowcount:
                    fresh.append(event)
            self._db.executemany(
                "INSERT INTO case_partitions VALUES (?, ?) "
                "ON CONFLICT(case_id) DO UPDATE SET partition = excluded.partition",
                partitions.items(),
            )
            self._write_checkpoint(source, top)
        return fresh

    def save_checkpoint(self, source: str = "store") -> None:
        """Write the pending checkpoint now (also on close)."""
        with self._lock:
            if self._pending:
                with self._transaction():
                    self._write_checkpoint(source, self._pending)
            self._flushed_at = time.monotonic()

    def _write_checkpoint(self, source: str, position: int) -> None:
        self._db.execute(
            "INSERT INTO checkpoint VALUES (?, ?) ON CONFLICT(source) "
            "DO UPDATE SET position = max(position, excluded.position)",
            (source, position),
        )

    def reset_events(self) -> None:
        """Forget the events and checkpoint (a rebuild); keep what was announced."""
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM case_events")
            self._db.execute("DELETE FROM checkpoint")

    def load_all(self) -> Iterator[RecordedEvent]:
        """Every stored event, case by case, for start-up."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM case_events ORDER BY case_id, position"
            ).fetchall()
        for (body,) in rows:
            yield RecordedEvent.from_json(orjson.loads(body))

    def load_partitions(self, partitions: Iterable[int]) -> list[RecordedEvent]:
        """Every stored event of the cases on ``partitions``, case by case: what a
        member takes over when the group assigns it those partitions."""
        wanted = sorted(partitions)
        marks = ",".join("?" * len(wanted))
        return self._events(
            "SELECT e.body FROM case_events e JOIN case_partitions p USING (case_id) "
            f"WHERE p.partition IN ({marks}) ORDER BY e.case_id, e.position",
            wanted,
        )

    def cases_on(self, partitions: Iterable[int]) -> list[str]:
        """The cases recorded on ``partitions``: what a member drops when they go."""
        wanted = sorted(partitions)
        with self._lock:
            rows = self._db.execute(
                "SELECT case_id FROM case_partitions WHERE partition IN "
                f"({','.join('?' * len(wanted))})",
                wanted,
            ).fetchall()
        return [case_id for (case_id,) in rows]

    def load_cases(self, case_id: str | None = None) -> list[RecordedEvent]:
        """Every stored event of one case, or of all, whoever owns them."""
        if case_id is None:
            return self._events("SELECT body FROM case_events ORDER BY case_id, position", [])
        return self._events(
            "SELECT body FROM case_events WHERE case_id = ? ORDER BY position", [case_id]
        )

    def _events(self, sql: str, args: Sequence[object]) -> list[RecordedEvent]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [RecordedEvent.from_json(orjson.loads(body)) for (body,) in rows]

    def announced(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT finding_id, status FROM announced").fetchall())

    def mark_announced(self, statuses: dict[str, str]) -> None:
        with self._lock, self._transaction():
            self._db.executemany(
                "INSERT INTO announced VALUES (?, ?) "
                "ON CONFLICT(finding_id) DO UPDATE SET status = excluded.status",
                statuses.items(),
            )

    def _transaction(self) -> "_Transaction":
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
