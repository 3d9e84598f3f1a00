"""The SQLite event table, its connections and the one insert statement.

Kept apart from the writer so a schema change (e.g. the ``chain_hash`` column
of the tamper-evident chain) touches this file and the row that
``sqlite_transaction`` builds.
"""

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import orjson

from events.records import RecordedEvent

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    event_id       TEXT    NOT NULL UNIQUE,
    case_id        TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    agency         TEXT    NOT NULL,
    occurred_at    TEXT    NOT NULL,
    recorded_at    TEXT    NOT NULL,
    digest         TEXT    NOT NULL,
    body           BLOB    NOT NULL,
    chain_hash     TEXT,
    UNIQUE (case_id, stream_version)
);
"""
# UNIQUE (case_id, stream_version) is also the case_id index: a separate one on
# case_id alone would only cost every insert another b-tree write.
# chain_hash (hex) is NULL only where the chain was switched off (trust.hash_chain).

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
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        conn.close()
        raise sqlite3.OperationalError(f"cannot enable WAL on {path} (got {mode})")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
    conn.executescript(SCHEMA)
    _add_chain_column(conn)
    if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return conn


def _add_chain_column(conn: sqlite3.Connection) -> None:
    """A store created before the chain existed gains the column (NULL, unchained)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    if "chain_hash" not in columns:
        conn.execute("ALTER TABLE events ADD COLUMN chain_hash TEXT")


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
