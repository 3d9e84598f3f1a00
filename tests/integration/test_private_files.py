"""Every file that can hold case data or secrets is created owner-only (0600).

The process umask is set to a permissive 022 here, as on a stock host, so each
adapter's own explicit mode is what is tested; the umask set at each process
entry is tested through the real CLI in ``tests/e2e/test_cli_journey.py``.
SQLite's ``-wal`` and ``-shm`` exist only while the file is open, so they are
checked then.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.files import write_private
from infra.sqlite.audit import SQLiteAccessAudit
from infra.sqlite.store import SQLiteEventStore
from services.embedded.dev_config import ensure_dev_config
from services.notifier.adapters.sqlite_outbox import SQLiteOutbox
from services.projection.bootstrap import open_read_model
from services.projection.domain.rules import default_policy
from services.projection.readmodel import ModelChange
from services.relay.checkpoint import SQLiteRelayCheckpoint
from tests.support.factories import make_submission


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_owner_only_database(path: Path) -> None:
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


async def test_event_store_file_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "events.db"
    async with SQLiteEventStore(path) as store:
        await store.append([make_submission()])
        assert_owner_only_database(path)
    assert mode(path.parent) == 0o700


async def test_notifier_outbox_is_owner_only(tmp_path: Path) -> None:
    outbox = SQLiteOutbox(tmp_path / "notifier.db")
    await outbox.start()
    try:
        assert_owner_only_database(tmp_path / "notifier.db")
    finally:
        await outbox.close()


async def test_access_audit_is_owner_only(tmp_path: Path) -> None:
    audit = SQLiteAccessAudit(tmp_path / "audit.db")
    await audit.start()
    try:
        assert_owner_only_database(tmp_path / "audit.db")
    finally:
        await audit.close()


async def test_relay_checkpoint_is_owner_only(tmp_path: Path) -> None:
    checkpoint = SQLiteRelayCheckpoint(tmp_path / "relay.db")
    await checkpoint.save(7)
    try:
        assert_owner_only_database(tmp_path / "relay.db")
    finally:
        await checkpoint.close()


def test_projection_read_model_is_owner_only(tmp_path: Path) -> None:
    model = open_read_model(tmp_path / "projection.db", default_policy(), keep_events=True)
    try:
        model.write(ModelChange(checkpoint=("kafka", 1)))
        assert_owner_only_database(tmp_path / "projection.db")
    finally:
        model.close()


def test_dev_config_with_its_keys_is_owner_only_in_an_owner_only_directory(
    tmp_path: Path,
) -> None:
    path, written = ensure_dev_config(tmp_path / "safeguard-data")
    assert written
    assert (mode(path), mode(path.parent)) == (0o600, 0o700)


def test_a_document_written_over_a_world_readable_file_becomes_owner_only(
    tmp_path: Path,
) -> None:
    out = tmp_path / "child-k.html"
    out.write_text("old")
    assert mode(out) == 0o644
    write_private(out, b"<html>review</html>")
    assert (mode(out), out.read_bytes()) == (0o600, b"<html>review</html>")
