"""WAL checkpoints on a thread of their own, off the writer's path.

By default the connection that commits past 1,000 WAL pages also copies the WAL
into the database file and fsyncs it, inside that commit: the writer stalls,
and every caller of its group with it, for the biggest commits most of all (a
merge of the indexes rewrites thousands of pages). The writer switches that off
(``wal_autocheckpoint=0``) and this thread checkpoints instead, ``PASSIVE``:
it copies what no reader still needs, concurrently with the writer, which never
waits for it. Durability does not depend on it: a commit is durable once its
WAL frames are fsynced, before any checkpoint.

But the WAL starts over from its beginning only when a write begins just after
a checkpoint that copied all of it, and a writer that never pauses never meets
one: under a 10M-event read model the WAL grew to 8.6 GB in seven minutes, and
every read slowed with it. So once a round finds the WAL past ``RESTART_FRAMES``,
the writer's next commit ends with a ``RESTART`` checkpoint on its own
connection: it copies the little the passive rounds left and makes the next
write start the WAL over. Done by this thread instead, it waited for a writer
that was always there again first, and the WAL still grew.
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


RESTART_FRAMES = 4_000
"""WAL frames (pages, 4 KiB) past which a round ends by starting the WAL over."""
RESTART_WAIT_MS = 1_000
"""How long the ``RESTART`` waits for readers on an older snapshot, the writer
with it: it gives up soon, and a later commit tries again."""


class Checkpointer:
    """``on_demand``: a round only after a commit (``committed``), on a connection of its
    own for that round. A read model nobody closed (a test's, say) then leaves an idle
    thread holding no file open, and one whose file is gone ends its thread."""

    def __init__(self, path: Path, *, on_demand: bool = False) -> None:
        self._path = path
        self._on_demand = on_demand
        self._stop = threading.Event()
        self._due = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._frames = 0
        """The WAL's length in frames, as the last round found it."""
        self._round = threading.Lock()
        """Held by a round, and by the writer's restart, which skips rather than
        wait behind a round copying a big WAL."""

    def start(self) -> None:
        self._thread.start()

    def committed(self, conn: sqlite3.Connection) -> None:
        """After each commit of the one writer, on its connection."""
        self._due.set()
        if self._frames > RESTART_FRAMES and self._round.acquire(blocking=False):
            try:
                self._frames = 0
                _restart(conn)
            finally:
                self._round.release()

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

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        with self._round:
            try:
                conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                _, self._frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error:  # retried next round; the WAL only grows meanwhile
                log.exception("WAL checkpoint failed")


def _restart(conn: sqlite3.Connection) -> None:
    """Never raises: it runs after a commit, which must not be reported as failed."""
    try:
        (waited,) = conn.execute("PRAGMA busy_timeout").fetchone()
        conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
        try:
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        finally:
            conn.execute(f"PRAGMA busy_timeout={waited}")
    except sqlite3.Error:  # a later commit tries again
        log.exception("WAL restart failed")
