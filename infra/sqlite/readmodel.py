"""``SQLiteReadModel``: the projection's read model in one SQLite file.

Plain SQL a PostgreSQL adapter can share: text timestamps in one UTC format (so
they sort), keyset pagination, no SQLite functions beyond pragmas. A case's
row holds what lists and pages need (summary, findings, next deadline), not its
folded state: a case is loaded by folding its events again (from the store, or
from the events kept here when fed from Kafka). Measured on a 100-event case,
pickling its state took 1.4 ms per write and unpickling 1.5 ms, against 1.9 ms
to read and fold its events: a state snapshot cost more to write than it saved.

A file of the older format (events, checkpoint and announced statuses only) is
upgraded once: its events and announced statuses are kept, and ``rebuilt`` says
the snapshots must be folded again. ``synchronous=NORMAL``: losing the last
write on power loss only refolds and re-announces (the outbox drops repeats).
The WAL is copied into the file by a thread of its own (``infra.sqlite.checkpoint``),
not inside whichever write passes 1,000 pages: the projection waits on its writes,
and taking the copy out of them took live ingest from 11.4k to 11.7-12.1k events/s.
"""

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from events.findings import Finding
from events.records import RecordedEvent
from infra.files import private_file
from infra.sqlite.checkpoint import Checkpointer
from services.projection.readmodel import (
    CaseSnapshot,
    FindingStatusFilter,
    LinkInputs,
    LoadedCase,
    ModelChange,
    OpenFilter,
    Page,
    Partitions,
    SubjectSeen,
    decode_cursor,
    encode_cursor,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    events INTEGER NOT NULL,
    children TEXT NOT NULL,
    last_occurred_at TEXT,
    open_findings INTEGER,
    degraded TEXT
);
CREATE INDEX IF NOT EXISTS cases_degraded ON cases (case_id) WHERE degraded IS NOT NULL;
CREATE TABLE IF NOT EXISTS findings (
    finding_id TEXT PRIMARY KEY,
    case_id TEXT,
    rule TEXT,
    status TEXT,
    severity TEXT,
    due_at TEXT,
    opened_at TEXT,
    agencies TEXT,
    announced TEXT,
    body BLOB
);
CREATE INDEX IF NOT EXISTS findings_by_status ON findings (status, due_at, finding_id);
CREATE INDEX IF NOT EXISTS findings_by_due ON findings (due_at, finding_id);
CREATE INDEX IF NOT EXISTS findings_by_case ON findings (case_id);
CREATE INDEX IF NOT EXISTS findings_by_severity ON findings (status, severity);
CREATE TABLE IF NOT EXISTS deadlines (
    case_id TEXT PRIMARY KEY,
    due TEXT NOT NULL,
    partition INTEGER
);
CREATE INDEX IF NOT EXISTS deadlines_by_due ON deadlines (due, case_id);
CREATE TABLE IF NOT EXISTS case_events (
    event_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    body BLOB NOT NULL,
    partition INTEGER
);
CREATE INDEX IF NOT EXISTS case_events_case ON case_events (case_id, position);
CREATE TABLE IF NOT EXISTS link_cases (case_id TEXT PRIMARY KEY, seen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS link_subjects (
    case_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (case_id, subject)
);
CREATE TABLE IF NOT EXISTS link_events (
    event_id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    body BLOB NOT NULL
);
"""

_PARTITION_INDEXES = """
CREATE INDEX IF NOT EXISTS deadlines_by_partition ON deadlines (partition, due, case_id);
"""
"""Created once the ``partition`` columns exist (a file from before them gains them)."""

DEGRADED_CASES = "SELECT case_id, degraded FROM cases WHERE degraded IS NOT NULL ORDER BY case_id"
"""Every degraded case, with each page of findings: read from a partial index, since
a walk of the cases table took 21 ms of each page's 26 at 100,000 cases."""

OPEN_COUNTS = "SELECT severity, count(*) FROM findings WHERE status = 'open' GROUP BY severity"
"""The open findings by severity, for the gauge (``open_counts``)."""

BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another member of a partitioned projection sharing
the file to finish its own, rather than fail."""

_EVENTS_FLUSHED = "events_flushed"
"""meta key: the last ``case_events`` rowid every snapshot includes."""
_LINK_TABLES = ("link_cases", "link_subjects", "link_events")


def stamp(at: datetime) -> str:
    """One sortable text form for every timestamp column."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _wanted(wanted: OpenFilter, prefix: str) -> tuple[list[str], list[Any]]:
    """The conditions an open finding (columns named with ``prefix``) must meet."""
    where, args = [f"{prefix}status = 'open'"], []
    for column, value in (("rule", wanted.rule), ("severity", wanted.severity)):
        if value:
            where.append(f"{prefix}{column} = ?")
            args.append(value)
    if wanted.agency:
        where.append(f"{prefix}agencies LIKE ? ESCAPE '\\'")
        args.append(_agency_pattern(wanted.agency))
    return where, args


def _finding_row(finding: Finding, *, announced: bool) -> tuple[object, ...]:
    agencies = {*finding.concerns_agencies, *([finding.to_agency] if finding.to_agency else [])}
    return (
        finding.finding_id,
        finding.case_id,
        finding.rule,
        finding.status,
        finding.severity,
        stamp(finding.due_at),
        None,
        "," + ",".join(sorted(agencies)) + ",",
        finding.status if announced else None,
        orjson.dumps(finding.to_json()),
    )


class SQLiteReadModel:
    """Calls are synchronous and short; a lock makes them take turns (a stop may
    close the file while a cancelled write still runs in its thread)."""

    def __init__(
        self, path: Path, *, keep_events: bool, fingerprint: str, cache_mib: int = 0
    ) -> None:
        """``cache_mib``: SQLite's page cache for this connection, where the default
        (2 MiB) is too small: a rebuild's findings index takes 320,000 rows in
        random order at 1M events, and 256 MiB took the rebuild from 21.8 to 18-19 s."""
        private_file(path)
        self.path = path
        self.keep_events = keep_events
        self.rebuilt = False
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's job
        self._checkpointer = Checkpointer(path, on_demand=True)
        if cache_mib:
            self._db.execute(f"PRAGMA cache_size = {-1024 * cache_mib}")
        with self._transaction():
            legacy = self._upgrade_legacy()
        self._db.executescript(_SCHEMA)
        with self._transaction():
            self._add_partition_columns()
        self._db.executescript(_PARTITION_INDEXES)
        with self._transaction():
            self.rebuilt = self._check_fingerprint(fingerprint, legacy)
        self._checkpointer.start()

    # -- start-up ---------------------------------------------------------------------

    def _tables(self) -> set[str]:
        rows = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    def _upgrade_legacy(self) -> dict[str, str]:
        """The announced statuses of a file of the older format (then dropped)."""
        tables = self._tables()
        if "meta" in tables or "announced" not in tables:
            return {}
        announced = dict(self._db.execute("SELECT finding_id, status FROM announced").fetchall())
        self._db.execute("DROP TABLE announced")
        self._db.execute("DROP TABLE IF EXISTS checkpoint")
        return announced

    def _add_partition_columns(self) -> None:
        """Files from before partitioned feeds: their rows say no partition (NULL),
        which only a member's own partitions' queries leave out."""
        for table in ("case_events", "deadlines"):
            columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if "partition" not in columns:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN partition INTEGER")

    def _check_fingerprint(self, fingerprint: str, legacy: dict[str, str]) -> bool:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        fresh = row is None and not legacy and not self._has_rows("case_events")
        if row is not None and row[0] == fingerprint:
            return False
        for table in ("cases", "deadlines", *_LINK_TABLES):
            self._db.execute(f"DELETE FROM {table}")
        self._db.execute("UPDATE findings SET status = NULL")
        self._db.execute("DELETE FROM meta")
        self._db.executemany(
            "INSERT INTO findings (finding_id, announced) VALUES (?, ?) "
            "ON CONFLICT (finding_id) DO UPDATE SET announced = excluded.announced",
            legacy.items(),
        )
        self._db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
        return not fresh

    def _has_rows(self, table: str) -> bool:
        return self._db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None

    def close(self) -> None:
        self._checkpointer.stop()
        with self._lock:
            self._db.close()

    def checkpoint(self, source: str) -> int:
        return int(self._meta(f"checkpoint:{source}") or 0)

    def _meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- events (Kafka-fed) -------------------------------------------------------------

    def save_events(
        self, events: Sequence[RecordedEvent], partitions: Mapping[str, int] | None = None
    ) -> list[RecordedEvent]:
        if not self.keep_events:
            return list(events)
        partitions = partitions or {}
        fresh: list[RecordedEvent] = []
        with self._lock, self._transaction():
            for event in events:
                cursor = self._db.execute(
                    "INSERT INTO case_events (event_id, case_id, position, body, partition) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (
                        event.event_id,
                        event.case_id,
                        event.position,
                        orjson.dumps(event.to_json()),
                        partitions.get(event.event_id),
                    ),
                )
                if cursor.rowcount:
                    fresh.append(event)
        return fresh

    def kept_events(self, case_ids: Sequence[str]) -> list[RecordedEvent]:
        with self._lock:
            return [
                RecordedEvent.from_json(orjson.loads(body))
                for case_id in case_ids
                for (body,) in self._db.execute(
                    "SELECT body FROM case_events WHERE case_id = ? ORDER BY position", (case_id,)
                ).fetchall()
            ]

    def unflushed_cases(self, partitions: Partitions = None) -> list[str]:
        if not self.keep_events:
            return []
        flushed = int(self._meta(_EVENTS_FLUSHED) or 0)
        on, args = _on_partitions("partition", partitions)
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT case_id FROM case_events WHERE rowid > ?"
                + on
                + " ORDER BY case_id",
                (flushed, *args),
            ).fetchall()
        return [case_id for (case_id,) in rows]

    def partitions_of(self, case_ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._lock:
            for first in range(0, len(case_ids), 500):
                chunk = case_ids[first : first + 500]
                found.update(
                    self._db.execute(
                        "SELECT case_id, partition FROM case_events WHERE partition IS NOT NULL "
                        f"AND case_id IN ({', '.join('?' * len(chunk))}) GROUP BY case_id",
                        chunk,
                    ).fetchall()
                )
        return found

    # -- cases -----------------------------------------------------------------------------

    def load(self, case_ids: Iterable[str]) -> list[LoadedCase]:
        with self._lock:
            return [self._load(case_id) for case_id in case_ids]

    def _load(self, case_id: str) -> LoadedCase:
        row = self._db.execute(
            "SELECT events, degraded FROM cases WHERE case_id = ?", (case_id,)
        ).fetchone()
        announced = self.announced(case_id)
        later: list[RecordedEvent] = []
        if self.keep_events:
            for (body,) in self._db.execute(
                "SELECT body FROM case_events WHERE case_id = ? ORDER BY position", (case_id,)
            ):
                later.append(RecordedEvent.from_json(orjson.loads(body)))
        degraded = None if row is None or row[1] is None else orjson.loads(row[1])
        stored = row is not None and row[0] > 0
        return LoadedCase(case_id, announced, later, degraded, stored=stored)

    def announced(self, case_id: str) -> dict[str, str]:
        """The status last announced of each of the case's findings."""
        with self._lock:
            rows = self._db.execute(
                "SELECT finding_id, announced FROM findings "
                "WHERE case_id = ? AND announced IS NOT NULL",
                (case_id,),
            ).fetchall()
        return dict(rows)

    def write(self, change: ModelChange) -> dict[str, int] | None:
        """Finding rows are made as SQLite takes them, never all at once: a flush of
        10,000 cached cases holds 320,000 findings, and their rows made up front
        (about 1 KB each) raised the projection's resident memory by 0.9 GiB."""
        findings = (_finding_row(f, announced=False) for s in change.snapshots for f in s.findings)
        announced = (_finding_row(finding, announced=True) for finding in change.announced)
        with self._lock:
            with self._transaction():
                for case_id in change.retired:
                    self._retire(case_id)
                for snap in change.snapshots:
                    self._write_case(snap)
                self._write_findings(findings, announced=False)
                self._write_findings(announced, announced=True)
                for case_id, due in change.deadlines.items():
                    self._write_deadline(case_id, due)
                self._write_links(change.links)
                if change.checkpoint is not None:
                    self._write_checkpoint(*change.checkpoint)
            return self.open_counts() if change.count_open else None

    def _write_links(self, links: LinkInputs) -> None:
        self._db.executemany("INSERT OR IGNORE INTO link_cases VALUES (?, ?)", links.cases)
        self._db.executemany(
            "INSERT OR IGNORE INTO link_subjects VALUES (?, ?, ?, ?, ?)",
            [
                (
                    seen.case_id,
                    orjson.dumps(seen.subject, option=orjson.OPT_SORT_KEYS).decode(),
                    stamp(seen.occurred_at),
                    stamp(seen.recorded_at),
                    seen.position,
                )
                for seen in links.subjects
            ],
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO link_events VALUES (?, ?, ?)",
            [(e.event_id, e.position, orjson.dumps(e.to_json())) for e in links.decisions],
        )

    def link_inputs(self) -> LinkInputs:
        with self._lock:
            cases = self._db.execute("SELECT case_id, seen FROM link_cases ORDER BY seen")
            subjects = self._db.execute("SELECT * FROM link_subjects ORDER BY position")
            decisions = self._db.execute("SELECT body FROM link_events ORDER BY position")
            return LinkInputs(
                cases=[(case_id, seen) for case_id, seen in cases.fetchall()],
                subjects=[
                    SubjectSeen(case_id, orjson.loads(subject), unstamp(at), unstamp(rec), pos)
                    for case_id, subject, at, rec, pos in subjects.fetchall()
                ],
                decisions=[
                    RecordedEvent.from_json(orjson.loads(body)) for (body,) in decisions.fetchall()
                ],
            )

    def _retire(self, case_id: str) -> None:
        """A joint case merged into another: its row, deadline and findings go (a
        finding's announced status stays, for the joint case that now has it)."""
        self._db.execute("DELETE FROM cases WHERE case_id = ?", (case_id,))
        self._db.execute("DELETE FROM deadlines WHERE case_id = ?", (case_id,))
        self._db.execute("UPDATE findings SET status = NULL WHERE case_id = ?", (case_id,))

    def _write_case(self, snap: CaseSnapshot) -> None:
        last = None if snap.last_occurred_at is None else snap.last_occurred_at.isoformat()
        self._db.execute(
            "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id) DO UPDATE "
            "SET position = excluded.position, "
            "events = excluded.events, children = excluded.children, "
            "last_occurred_at = excluded.last_occurred_at, "
            "open_findings = excluded.open_findings, degraded = excluded.degraded "
            "WHERE (position, events, children, last_occurred_at, open_findings, degraded) "
            "IS NOT (excluded.position, excluded.events, excluded.children, "
            "excluded.last_occurred_at, excluded.open_findings, excluded.degraded)",
            (
                snap.case_id,
                snap.position,
                snap.events,
                orjson.dumps(list(snap.children)).decode(),
                last,
                snap.open_findings,
                None if snap.degraded is None else orjson.dumps(snap.degraded).decode(),
            ),
        )
        if snap.vanished is None:  # every finding of the case is in the snapshot
            self._db.execute(
                "UPDATE findings SET status = NULL WHERE case_id = ? AND status IS NOT NULL "
                "AND finding_id NOT IN (SELECT value FROM json_each(?))",
                (snap.case_id, orjson.dumps([f.finding_id for f in snap.findings]).decode()),
            )
        else:
            self._db.executemany(
                "UPDATE findings SET status = NULL WHERE finding_id = ?",
                [(finding_id,) for finding_id in snap.vanished],
            )
        if snap.owns_deadline or snap.degraded is not None:
            self._write_deadline(snap.case_id, snap.next_due)

    def _write_findings(self, rows: Iterable[tuple[object, ...]], *, announced: bool) -> None:
        """``rows`` of findings after their cases' rows: a case's findings no
        longer found were cleared with its row (``_write_case``). A row as it
        was is left alone (the body holds every other column): the first
        snapshot of a case loaded afresh carries every finding it has, and
        rewriting them all moved four index entries each, 8.6 GB of WAL in
        seven minutes of loading cases at 10M events."""
        self._db.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (finding_id) DO UPDATE SET case_id = excluded.case_id, "
            "rule = excluded.rule, status = excluded.status, severity = excluded.severity, "
            "due_at = excluded.due_at, opened_at = excluded.opened_at, "
            "agencies = excluded.agencies, body = excluded.body"
            + (", announced = excluded.announced" if announced else "")
            + " WHERE findings.status IS NOT excluded.status OR findings.body IS NOT excluded.body"
            + (" OR findings.announced IS NOT excluded.announced" if announced else ""),
            rows,
        )

    def _write_deadline(self, case_id: str, due: datetime | None) -> None:
        if due is None:
            self._db.execute("DELETE FROM deadlines WHERE case_id = ?", (case_id,))
            return
        self._db.execute(  # the case's partition, so only its owner's timer fires it
            "INSERT INTO deadlines (case_id, due, partition) VALUES (?, ?, "
            "(SELECT partition FROM case_events WHERE case_id = ? ORDER BY position DESC LIMIT 1)) "
            "ON CONFLICT (case_id) DO UPDATE "
            "SET due = excluded.due, partition = excluded.partition",
            (case_id, stamp(due), case_id),
        )

    def _write_checkpoint(self, source: str, position: int) -> None:
        self._set_meta(f"checkpoint:{source}", str(position))
        if self.keep_events:
            (rowid,) = self._db.execute("SELECT max(rowid) FROM case_events").fetchone()
            self._set_meta(_EVENTS_FLUSHED, str(rowid or 0))

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- queries ------------------------------------------------------------------------

    def open_counts(self) -> dict[str, int]:
        """From ``findings_by_severity`` alone: counted from the rows, 320,000 open
        findings took 6.5 s (cold) and 3.2M about 12 s, holding the model while a
        deadline came due."""
        with self._lock:
            rows = self._db.execute(OPEN_COUNTS).fetchall()
        return {str(severity): int(count) for severity, count in rows}

    def soonest_deadline(self, partitions: Partitions = None) -> datetime | None:
        on, args = _on_partitions("partition", partitions)
        with self._lock:
            row = self._db.execute(
                "SELECT min(due) FROM deadlines WHERE 1 = 1" + on, args
            ).fetchone()
        return None if row is None or row[0] is None else unstamp(row[0])

    def due(self, now: datetime, limit: int, partitions: Partitions = None) -> list[str]:
        on, args = _on_partitions("partition", partitions)
        with self._lock:
            rows = self._db.execute(
                "SELECT case_id FROM deadlines WHERE due <= ?"
                + on
                + " ORDER BY due, case_id LIMIT ?",
                (stamp(now), *args, limit),
            ).fetchall()
        return [case_id for (case_id,) in rows]

    def cases_page(
        self,
        *,
        limit: int,
        after: str | None,
        agency: str | None,
        open_filter: OpenFilter,
        offset: int = 0,
    ) -> Page:
        where, args = self._case_filter(agency, open_filter)
        if after is not None:
            where.append("c.case_id > ?")
            args.append(decode_cursor(after, 1)[0])
        sql = (
            "SELECT case_id, events, children, last_occurred_at, open_findings, degraded "
            "FROM cases c" + _where(where) + " ORDER BY case_id LIMIT ? OFFSET ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (*args, limit + 1, offset)).fetchall()
        listed = [_case_row(row) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(listed, encode_cursor(listed[-1]["case_id"]) if more else None)

    def open_findings_of(
        self, case_ids: Sequence[str], wanted: OpenFilter
    ) -> list[tuple[str, str, str]]:
        """(case, rule, severity) of the open findings of ``case_ids`` that match."""
        where, args = _wanted(wanted, "")
        where.append(f"case_id IN ({', '.join('?' * len(case_ids))})")
        args += case_ids
        if not case_ids:
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT case_id, rule, severity FROM findings" + _where(where), args
            ).fetchall()
        return [(str(c), str(r), str(s)) for c, r, s in rows]

    def count_cases(self, open_filter: OpenFilter) -> int:
        where, args = self._case_filter(None, open_filter)
        with self._lock:
            (count,) = self._db.execute(
                "SELECT count(*) FROM cases c" + _where(where), args
            ).fetchone()
        return int(count)

    def _case_filter(self, agency: str | None, wanted: OpenFilter) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if agency is not None:
            where.append(
                "EXISTS (SELECT 1 FROM findings f WHERE f.case_id = c.case_id "
                "AND f.status IS NOT NULL AND f.agencies LIKE ? ESCAPE '\\')"
            )
            args.append(_agency_pattern(agency))
        if wanted:
            clauses, more = _wanted(wanted, "f.")
            args += more
            clauses.insert(0, "f.case_id = c.case_id")
            where.append(f"EXISTS (SELECT 1 FROM findings f WHERE {' AND '.join(clauses)})")
        return where, args

    def findings_page(
        self,
        *,
        limit: int,
        after: str | None,
        agency: str | None,
        status: FindingStatusFilter | None,
    ) -> Page:
        where = ["status = ?" if status else "status IS NOT NULL"]
        args: list[Any] = [status] if status else []
        if agency is not None:
            where.append("agencies LIKE ? ESCAPE '\\'")
            args.append(_agency_pattern(agency))
        if after is not None:
            due, finding_id = decode_cursor(after, 2)
            where.append("(due_at, finding_id) > (?, ?)")  # a row value: the index seeks
            args += [due, finding_id]
        sql = (
            "SELECT due_at, finding_id, body FROM findings"
            + _where(where)
            + " ORDER BY due_at, finding_id LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (*args, limit + 1)).fetchall()
        listed = [orjson.loads(body) for _, _, body in rows[:limit]]
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        return Page(listed, None if last is None else encode_cursor(last[0], last[1]))

    def degraded_cases(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(DEGRADED_CASES).fetchall()
        return [{"case_id": case_id, **orjson.loads(degraded)} for case_id, degraded in rows]

    def case_ids(self, after: str, limit: int) -> list[str]:
        """Every case id the model holds, a page at a time (for a rebuild's audit)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT case_id FROM cases WHERE case_id > ? ORDER BY case_id LIMIT ?",
                (after, limit),
            ).fetchall()
        return [case_id for (case_id,) in rows]

    def reset(self) -> None:
        """Forget snapshots, deadlines, kept events and checkpoints (a rebuild);
        keep the announced statuses, so a rebuild announces nothing new."""
        with self._lock, self._transaction():
            for table in ("cases", "deadlines", "case_events", *_LINK_TABLES):
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute("UPDATE findings SET status = NULL")
            self._db.execute("DELETE FROM meta WHERE key <> 'fingerprint'")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._checkpointer.committed(self._db)


def _on_partitions(column: str, partitions: Partitions) -> tuple[str, list[int]]:
    """An ``AND`` clause keeping rows of ``partitions`` (None: every row)."""
    if partitions is None:
        return "", []
    wanted = sorted(partitions)
    return f" AND {column} IN ({', '.join('?' * len(wanted))})", wanted


def _where(clauses: list[str]) -> str:
    return " WHERE " + " AND ".join(clauses) if clauses else ""


def _agency_pattern(agency: str) -> str:
    escaped = agency.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%,{escaped},%"


def _case_row(row: tuple[Any, ...]) -> dict[str, Any]:
    case_id, events, children, last, open_findings, degraded = row
    return {
        "case_id": case_id,
        "events": events,
        "children": orjson.loads(children),
        "last_occurred_at": last,
        "open_findings": open_findings,
        "degraded": None if degraded is None else orjson.loads(degraded),
    }
