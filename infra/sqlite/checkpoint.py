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
    def __init__(self, path: Path) -> None:
        self._path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Blocks until a checkpoint under way has finished."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            while not self._stop.wait(CHECKPOINT_SECONDS):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error:  # retried next round; the WAL only grows meanwhile
                    log.exception("WAL checkpoint failed")
        finally:
            conn.close()
