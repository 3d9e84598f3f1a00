"""The SQLite event table, its connections and the one insert statement.

Kept apart from the writer so a schema change (e.g. the ``chain_hash`` column
of the tamper-evident chain) touches this file and the row that
``infra.sqlite.transaction`` builds.
"""

import contextlib
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import orjson

from events.records import RecordedEvent
from infra.files import private_file

log = logging.getLogger("safeguard.store")

SCHEMA_VERSION = 2
"""1: ``events`` with unique indexes on ``event_id`` and ``(case_id,
stream_version)``. 2: the same rows as a log, and those two indexes as tables
merged in bulk (``infra.sqlite.index``)."""

EVENTS_TABLE = """
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    event_id       TEXT    NOT NULL,
    case_id        TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    agency         TEXT    NOT NULL,
    occurred_at    TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL,
    digest         TEXT    NOT NULL,
    body           BLOB    NOT NULL,
    chain_hash     TEXT
);
"""
# The log: a commit appends rows at the end of one b-tree, touching a few pages
# however many events it holds. A unique index on a random UUID touched one page
# per event all over the file, and each was rewritten in the WAL: two thirds of
# the commit. chain_hash (hex) is NULL only where the chain was switched off
# (trust.hash_chain).

INDEX_TABLES = """
CREATE TABLE IF NOT EXISTS event_ids (
    event_id TEXT    PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS case_streams (
    case_id        TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (case_id, stream_version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS merged (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL
);
INSERT OR IGNORE INTO merged (id, upto) VALUES (1, 0);
"""
# merged.upto: every event at or before this position is in both index tables;
# those after it (the tail) are found by scanning the log from there.

SCHEMA = EVENTS_TABLE + INDEX_TABLES

_COLUMNS = (
    "position, event_id, case_id, stream_version, type, agency,"
    " occurred_at, recorded_at, digest, body, chain_hash"
)
_ROW = "(" + ", ".join("?" * len(_COLUMNS.split(","))) + ")"
ROWS_PER_INSERT = 500
"""Rows per multi-row INSERT (5,500 variables, within SQLite's default 32,766)."""

Row = tuple[int, str, str, int, str, str, str, str, str, bytes, str | None]

BUSY_TIMEOUT_MS = 5_000
WRITER_CACHE_KIB = 65_536
"""The writer's page cache: event_id is a random UUID, so each batch touches
index pages all over the file; SQLite's default 2 MiB re-reads them."""


def connect_writer(path: Path) -> sqlite3.Connection:
    """The one read-write connection: WAL + ``synchronous=FULL`` so that a
    returned commit has been fsynced and survives kill -9 or power loss."""
    private_file(path)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        conn.close()
        raise sqlite3.OperationalError(f"cannot enable WAL on {path} (got {mode})")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    has_events = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
    ).fetchone()
    if has_events and version < 2:
        _add_chain_column(conn)
        _migrate_to_log(conn)
    conn.executescript(SCHEMA)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return conn


def _add_chain_column(conn: sqlite3.Connection) -> None:
    """A store created before the chain existed gains the column (NULL, unchained)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    if "chain_hash" not in columns:
        conn.execute("ALTER TABLE events ADD COLUMN chain_hash TEXT")


def _migrate_to_log(conn: sqlite3.Connection) -> None:
    """A version 1 store, whose unique indexes SQLite cannot drop, rebuilt as the
    log and its index tables in one transaction: a crash leaves version 1."""
    log.warning("migrating the event store to its log layout (once)")
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("ALTER TABLE events RENAME TO events_v1")
        _execute_script(conn, EVENTS_TABLE)
        conn.execute(f"INSERT INTO events ({_COLUMNS}) SELECT {_COLUMNS} FROM events_v1")
        conn.execute("DROP TABLE events_v1")
        _execute_script(conn, INDEX_TABLES)
        conn.execute(
            "INSERT INTO event_ids SELECT event_id, position FROM events ORDER BY event_id"
        )
        conn.execute(
            "INSERT INTO case_streams SELECT case_id, stream_version, position FROM events"
            " ORDER BY case_id, stream_version"
        )
        conn.execute("UPDATE merged SET upto = (SELECT coalesce(max(position), 0) FROM events)")
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def rollback(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):  # no transaction open, or connection gone
        conn.execute("ROLLBACK")


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Each statement of ``script`` inside the open transaction
    (``executescript`` would commit it first)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection; each query sees the last committed snapshot."""
    uri = path.resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def encode(record: RecordedEvent) -> bytes:
    return orjson.dumps(record.to_json())


def decode(body: bytes) -> RecordedEvent:
    """A stored body back to a record: one JSON decode, no per-column work."""
    return RecordedEvent.from_json(orjson.loads(body))


def insert_rows(conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
    """Insert rows in order, many per statement: one statement is one
    ``sqlite3_step``, so the writer gives up and retakes the GIL once per
    statement rather than once per event, which the event loop would make it
    wait for."""
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        sql = f"INSERT INTO events ({_COLUMNS}) VALUES " + ", ".join([_ROW] * len(chunk))
        conn.execute(sql, [value for r in chunk for value in r])
