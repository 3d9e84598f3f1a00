"""The WAL stays bounded under writes that never pause.

A ``PASSIVE`` checkpoint copies frames beside a writer, but the WAL starts over
only when a write begins after a checkpoint that copied everything: a writer that
never pauses never meets one, and the WAL grew without end (8.6 GB in seven
minutes under a 10M-event read model, every read slower for it)."""

import contextlib
import os
import sqlite3
import time
from pathlib import Path

import pytest

from infra.sqlite import checkpoint
from infra.sqlite.checkpoint import Checkpointer

ROWS_PER_COMMIT = 40
ROW = 3000  # about one page a row


@pytest.mark.parametrize("on_demand", [False, True], ids=["polling", "nudged"])
def test_a_writer_that_never_pauses_keeps_the_wal_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_demand: bool
) -> None:
    monkeypatch.setattr(checkpoint, "CHECKPOINT_SECONDS", 0.01)
    monkeypatch.setattr(checkpoint, "RESTART_FRAMES", 1_000)
    path = tmp_path / "model.db"
    wal = path.with_name("model.db-wal")
    writer = sqlite3.connect(path, isolation_level=None)
    checkpointer = Checkpointer(path, on_demand=on_demand)
    largest = 0
    with contextlib.closing(writer):
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
        checkpointer.start()
        try:
            for commit in range(600):  # about 24,000 frames in all
                writer.execute("BEGIN")
                writer.executemany(
                    "INSERT OR REPLACE INTO t VALUES (?, ?)",
                    (
                        ((commit * ROWS_PER_COMMIT + i) % 2_000, os.urandom(ROW))
                        for i in range(ROWS_PER_COMMIT)
                    ),
                )
                writer.execute("COMMIT")
                checkpointer.committed(writer)
                largest = max(largest, wal.stat().st_size)
                time.sleep(0.0005)
        finally:
            checkpointer.stop()
    page = 4096 + 24
    assert largest < 3 * 1_000 * page + ROWS_PER_COMMIT * 2 * page
