"""``safeguard verify`` as a real subprocess against a real SQLite file that the
test tampers with through sqlite3, as an insider with file access would."""

import asyncio
import base64
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from infra.audit import ReadAccess
from infra.sqlite.audit import SQLiteAccessAudit
from infra.sqlite.store import SQLiteEventStore
from infra.store import chain
from tests.support.factories import make_submission
from tests.support.server import REPO

EVENTS = 6
SEED = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "events.db"

    async def fill() -> None:
        async with SQLiteEventStore(path) as s:
            for i in range(EVENTS):
                await s.append([make_submission(case_id=f"case-{i % 2}")])

    asyncio.run(fill())
    (tmp_path / "safeguard.toml").write_text(
        f'data_dir = "{tmp_path}"\n\n[trust]\nsigning_key_seed = "{SEED}"\n'
    )
    return path


def verify(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")}
    config = store.parent / "safeguard.toml"
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "verify", "--config", str(config), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def tamper(store: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    with sqlite3.connect(store) as conn:
        for sql, params in statements:
            conn.execute(sql, params)


def body_at(store: Path, position: int) -> bytes:
    with sqlite3.connect(store) as conn:
        row = conn.execute("SELECT body FROM events WHERE position = ?", (position,)).fetchone()
    return bytes(row[0])


def test_an_untouched_store_verifies_and_exits_zero(store: Path) -> None:
    done = verify(store)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"positions 1..{EVENTS}" in done.stdout


def test_one_edited_byte_is_reported_at_its_position(store: Path) -> None:
    body = bytearray(body_at(store, 3))
    body[body.index(b"case-")] = ord("K")
    tamper(store, ("UPDATE events SET body = ? WHERE position = 3", (bytes(body),)))

    done = verify(store)

    assert done.returncode == 1
    assert "BROKEN at position 3" in done.stdout


def test_a_deleted_event_is_reported_at_its_position(store: Path) -> None:
    tamper(store, ("DELETE FROM events WHERE position = 4", ()))

    done = verify(store)

    assert done.returncode == 1
    assert "BROKEN at position 4" in done.stdout and "missing" in done.stdout


def test_two_reordered_events_are_reported_at_the_first(store: Path) -> None:
    tamper(
        store,
        ("UPDATE events SET position = -2 WHERE position = 2", ()),
        ("UPDATE events SET position = 2 WHERE position = 5", ()),
        ("UPDATE events SET position = 5 WHERE position = -2", ()),
    )

    done = verify(store)

    assert done.returncode == 1
    assert "BROKEN at position 2" in done.stdout


def test_an_edited_index_column_is_reported_even_though_the_body_is_intact(store: Path) -> None:
    tamper(store, ("UPDATE events SET case_id = 'case-9' WHERE position = 5", ()))

    done = verify(store)

    assert done.returncode == 1
    assert "BROKEN at position 5" in done.stdout and "columns" in done.stdout


def test_from_position_checks_only_the_tail(store: Path) -> None:
    tamper(store, ("DELETE FROM events WHERE position = 2", ()))

    assert verify(store, "--from", "4").returncode == 0
    assert verify(store, "--from", "1").returncode == 1


def test_an_old_checkpoint_detects_a_store_rewritten_with_fresh_hashes(
    store: Path, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "kept-elsewhere.json"
    exported = verify(store, "--export-checkpoint", str(checkpoint))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    rewrite_history(store, position=2)

    plain = verify(store)
    checked = verify(store, "--checkpoint", str(checkpoint))

    assert plain.returncode == 0  # the rewrite is self-consistent...
    assert checked.returncode == 1  # ...but not with what was signed before it
    assert "rewritten" in checked.stdout


def test_a_checkpoint_of_an_untouched_store_holds_after_more_appends(
    store: Path, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "cp.json"
    assert verify(store, "--export-checkpoint", str(checkpoint)).returncode == 0

    async def more() -> None:
        async with SQLiteEventStore(store) as s:
            await s.append([make_submission()])

    asyncio.run(more())
    done = verify(store, "--checkpoint", str(checkpoint))

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"position {EVENTS}" in done.stdout


def test_a_forged_checkpoint_is_rejected(store: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "cp.json"
    assert verify(store, "--export-checkpoint", str(checkpoint)).returncode == 0
    checkpoint.write_text(checkpoint.read_text().replace('"position": 6', '"position": 5'))

    done = verify(store, "--checkpoint", str(checkpoint))

    assert done.returncode == 1
    assert "signature" in done.stdout


def rewrite_history(store: Path, *, position: int) -> None:
    """Change one event and recompute every chain hash after it, as a careful forger would."""
    with sqlite3.connect(store) as conn:
        rows = conn.execute("SELECT position, body FROM events ORDER BY position").fetchall()
        prev = chain.GENESIS
        for pos, body in rows:
            data = bytes(body)
            if pos == position:
                data = data.replace(b"child-k", b"child-z", 1)
                conn.execute("UPDATE events SET body = ? WHERE position = ?", (data, pos))
            prev = chain.link(prev, data)
            conn.execute("UPDATE events SET chain_hash = ? WHERE position = ?", (prev.hex(), pos))


def _fill_audit(path: Path, reads: int) -> None:
    async def fill() -> None:
        audit = SQLiteAccessAudit(path)
        await audit.start()
        try:
            for i in range(reads):
                await audit.record(
                    ReadAccess(
                        "k1", "reviewer", "reviewer", None, "GET /x", f"case-{i}", None, None
                    )
                )
        finally:
            await audit.close()

    asyncio.run(fill())


def test_the_access_audit_chain_verifies_and_an_edit_made_around_its_triggers_is_found(
    store: Path,
) -> None:
    audit_db = store.parent / "audit.db"
    _fill_audit(audit_db, 4)
    assert verify(store, "--audit").returncode == 0

    tamper(
        audit_db,
        ("DROP TRIGGER access_no_update", ()),
        ("UPDATE access SET body = replace(body, 'case-2', 'case-9') WHERE seq = 3", ()),
    )
    done = verify(store, "--audit")

    assert done.returncode == 1
    assert "BROKEN access audit at seq 3" in done.stdout


def test_a_body_rewritten_as_text_is_still_reported_not_crashed_on(store: Path) -> None:
    tamper(
        store, ("UPDATE events SET body = replace(body, 'case-', 'kase-') WHERE position = 2", ())
    )

    done = verify(store)

    assert done.returncode == 1
    assert "BROKEN at position 2" in done.stdout


def test_deleting_the_newest_audit_records_after_a_checkpoint_fails_verify(
    store: Path, tmp_path: Path
) -> None:
    audit_db = store.parent / "audit.db"
    _fill_audit(audit_db, 5)
    checkpoint = tmp_path / "kept-elsewhere.json"
    exported = verify(store, "--export-checkpoint", str(checkpoint))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "access audit records 1..5" in exported.stdout
    tamper(
        audit_db, ("DROP TRIGGER access_no_delete", ()), ("DELETE FROM access WHERE seq > 3", ())
    )

    plain = verify(store, "--audit")
    checked = verify(store, "--checkpoint", str(checkpoint))

    assert plain.returncode == 0  # a shorter chain is self-consistent...
    assert checked.returncode == 1, checked.stdout  # ...but the signed head says 5 records
    assert "the newest 2 audit records were deleted" in checked.stdout


def test_an_intact_audit_log_holds_its_checkpoint_after_more_reads(
    store: Path, tmp_path: Path
) -> None:
    audit_db = store.parent / "audit.db"
    _fill_audit(audit_db, 3)
    checkpoint = tmp_path / "cp.json"
    assert verify(store, "--export-checkpoint", str(checkpoint)).returncode == 0
    _fill_audit(audit_db, 2)

    done = verify(store, "--checkpoint", str(checkpoint))

    assert done.returncode == 0, done.stdout + done.stderr
    assert "checkpoint holds for the access audit: records 1..3" in done.stdout
