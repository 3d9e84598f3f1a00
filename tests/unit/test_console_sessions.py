"""Console sessions: a random id the store keeps only as a hash, ended by idle
time, by its absolute lifetime, or by sign-out."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from events.agencies import Agency
from infra.clock import FixedClock
from services.console.sessions import SQLiteSessionStore
from services.http.auth import Principal

START = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
EDT_DM = Principal(role="duty_manager", agency=Agency.EDT, name="edt-dm", key_id="abc123")


def _store(path: Path, clock: FixedClock) -> SQLiteSessionStore:
    return SQLiteSessionStore(path, clock, idle=timedelta(minutes=30), lifetime=timedelta(hours=12))


def test_a_session_remembers_who_signed_in_and_its_csrf_token(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", FixedClock(START))

    session_id, session = store.create(EDT_DM)

    assert store.get(session_id) == session
    assert session.principal == EDT_DM
    assert len(session_id) >= 43 and len(session.csrf) >= 43  # 256 bits, url-safe


def test_the_store_keeps_only_a_hash_of_the_session_id(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", FixedClock(START))
    session_id, _ = store.create(EDT_DM)
    store.close()

    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())

    assert session_id.encode() not in stored


def test_a_session_unused_for_the_idle_time_is_gone(tmp_path: Path) -> None:
    clock = FixedClock(START)
    store = _store(tmp_path / "s.db", clock)
    session_id, _ = store.create(EDT_DM)

    clock.set(START + timedelta(minutes=29))
    kept = store.get(session_id)
    clock.set(START + timedelta(minutes=29 + 31))

    assert kept is not None
    assert store.get(session_id) is None


def test_a_busy_session_still_ends_at_its_lifetime(tmp_path: Path) -> None:
    clock = FixedClock(START)
    store = _store(tmp_path / "s.db", clock)
    session_id, _ = store.create(EDT_DM)

    for minutes in range(20, 12 * 60, 20):
        clock.set(START + timedelta(minutes=minutes))
        assert store.get(session_id) is not None
    clock.set(START + timedelta(hours=12, minutes=1))

    assert store.get(session_id) is None


def test_sign_out_deletes_the_session(tmp_path: Path) -> None:
    store = _store(tmp_path / "s.db", FixedClock(START))
    session_id, _ = store.create(EDT_DM)

    store.delete(session_id)

    assert store.get(session_id) is None
