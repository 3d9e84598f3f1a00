"""WAL checkpoints on a thread of their own, off the writer's path.

By default the connection that commits past 1,000 WAL pages also copies the WAL
into the database file and fsyncs it, inside that commit: the writer stalls,
and every caller of its group with it, for the biggest commits most of all (a
merge of the indexes rewrites thousands of pages). The writer switches that off
(``wal_autocheckpoint=0``) and this thread checkpoints instead, ``PASSIVE``:
it copies what no reader still needs, concurrently with the writer, which never
waits for it. Durability does not depend on it: a commit is durable once its
WAL frames are fsynced, before any checkpoint.
"""

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

from infra.sqlite.schema import BUSY_TIMEOUT_MS

log = logging.getLogger("safeguard.store")

CHECKPOINT_SECONDS = 0.5
"""How often the WAL is copied into the database: it holds about this much of
writing, plus whatever readers still need."""


class Checkpointer:
    """``on_demand``: a round only after ``nudge`` (a commit), on a connection of its
    own for that round. A read model nobody closed (a test's, say) then leaves an idle
    thread holding no file open, and one whose file is gone ends its thread."""

    def __init__(self, path: Path, *, on_demand: bool = False) -> None:
        self._path = path
        self._on_demand = on_demand
        self._stop = threading.Event()
        self._due = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        self._due.set()

    def stop(self) -> None:
        """Blocks until a checkpoint under way has finished."""
        self._stop.set()
        self._due.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        if self._on_demand:
            while self._due.wait() and not self._stop.is_set():
                self._due.clear()
                try:
                    conn = sqlite3.connect(f"file:{self._path}?mode=rw", uri=True)
                except sqlite3.Error:
                    return  # the file is gone
                with contextlib.closing(conn):
                    self._checkpoint(conn)
                self._stop.wait(CHECKPOINT_SECONDS)
            return
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        with contextlib.closing(conn):
            while not self._stop.wait(CHECKPOINT_SECONDS):
                self._checkpoint(conn)

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection) -> None:
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:  # retried next round; the WAL only grows meanwhile
            log.exception("WAL checkpoint failed")
