"""``SQLiteRelayCheckpoint``: the relay's last confirmed position, one fsynced row."""

import asyncio
import sqlite3
import threading
from pathlib import Path

from infra.files import private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoint (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    position INTEGER NOT NULL
);
"""


class SQLiteRelayCheckpoint:
    """A file of its own (``<data_dir>/relay.db``): the relay may read from
    EventStoreDB, so the checkpoint cannot share the store's transaction."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        """One query at a time, and never a close under a query: a relay stopped
        while a save is in its worker thread must not close the connection under
        it (the ``sqlite3`` module crashes the process on that)."""
        self._closed = False

    async def load(self) -> int:
        row = await asyncio.to_thread(self._query, "SELECT position FROM checkpoint")
        return int(row[0]) if row else 0

    async def save(self, position: int) -> None:
        await asyncio.to_thread(
            self._query,
            "INSERT INTO checkpoint (id, position) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET position = excluded.position",
            position,
        )

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                conn, self._conn = self._conn, None
                conn.close()

    def _query(self, sql: str, *params: int) -> tuple[int] | None:
        with self._lock:
            if self._closed:
                raise sqlite3.ProgrammingError(f"the relay checkpoint {self.path} is closed")
            row: tuple[int] | None = self._connection().execute(sql, params).fetchone()
            return row

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            private_file(self.path)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(SCHEMA)
            self._conn = conn
        return self._conn
