"""Kill -9 a process mid-stream of appends: every acknowledged event survives.

The writer is a real subprocess (``tests/support/store_writer.py``) appending
with several concurrent tasks; the test reads its acknowledgements from stdout,
SIGKILLs it while it is still writing, then reopens the file.
"""

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from infra.sqlite.schema import decode
from infra.sqlite.store import SQLiteEventStore
from tests.support.factories import make_submission
from tests.support.store_writer import BATCH

ROOT = Path(__file__).resolve().parents[2]
ACKS_BEFORE_KILL = 300


def start_writer(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.store_writer", str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_acks_then_kill(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    acked: list[str] = []
    deadline = time.monotonic() + 60
    while len(acked) < ACKS_BEFORE_KILL:
        line = proc.stdout.readline()
        assert line, f"writer exited early: {proc.communicate()[1]}"
        assert time.monotonic() < deadline, "writer too slow"
        acked.append(line.rstrip("\n"))
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    *complete, _unterminated = rest.split("\n")  # a cut-off last line is no ack
    return acked + complete


def check_file(path: Path) -> list[tuple[int, str, str, int, bytes]]:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute(
            "SELECT position, event_id, case_id, stream_version, body FROM events ORDER BY position"
        ).fetchall()


def test_every_acknowledged_event_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "events.db"

    acked = read_acks_then_kill(start_writer(path))

    rows = check_file(path)
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    for position, event_id, case_id, version, body in rows:  # no half-written row
        event = decode(body)
        assert (event.position, event.event_id, event.case_id) == (position, event_id, case_id)
        assert event.stream_version == version
    stored = {r[1] for r in rows}
    assert len(acked) >= ACKS_BEFORE_KILL and set(acked) <= stored
    batch_sizes = Counter(r[2] for r in rows if r[2].startswith("batch-"))
    assert set(batch_sizes.values()) == {BATCH}  # batches are all or nothing
    asyncio.run(check_reopened_store(path, acked, len(rows)))


async def check_reopened_store(path: Path, acked: list[str], head: int) -> None:
    async with SQLiteEventStore(path) as store:
        assert all([await store.get(event_id) for event_id in acked[:: max(1, len(acked) // 50)]])
        for case_id in {e.case_id for e in await store.read_all(1, head)}:
            versions = [e.stream_version for e in await store.read_case(case_id)]
            assert versions == list(range(1, len(versions) + 1))

        after = await store.append([make_submission(case_id="after-crash")])

        assert after.events[0].position == head + 1
