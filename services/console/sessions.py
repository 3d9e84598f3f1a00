"""Server-side console sessions: the cookie holds a random 256-bit id, the store
holds only its SHA-256, so a copy of the store signs nobody in.

A session remembers who signed in (role, agency, name, key handle) and its CSRF
token; it ends after ``idle`` without use, after ``lifetime`` however busy, or at
sign-out, which deletes the row.
"""

import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from events.agencies import Agency
from infra.clock import Clock
from services.http.auth import Principal

TOUCH_EVERY = timedelta(seconds=60)
"""``last_seen`` is rewritten at most this often: a page view is then a read."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_sha256 TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    agency TEXT,
    name TEXT,
    key_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    csrf: str
    """Per-session token every form carries back (``csrf_token``)."""


class SessionStore(Protocol):
    def create(self, principal: Principal) -> tuple[str, Session]:
        """A new session; returns the id for the cookie (never stored) and the session."""
        ...

    def get(self, session_id: str) -> Session | None:
        """The live session, touched; None if unknown, idle too long or too old."""
        ...

    def delete(self, session_id: str) -> None:
        """Sign-out: the row goes, so the cookie is worthless even if copied."""
        ...

    def close(self) -> None: ...


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SQLiteSessionStore:
    """One small table. Calls are sub-millisecond single-row statements made on the
    event loop under a lock, rather than hopping to a thread for each page view."""

    def __init__(self, path: Path | str, clock: Clock, *, idle: timedelta, lifetime: timedelta):
        self._clock, self._idle, self._lifetime = clock, idle, lifetime
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def create(self, principal: Principal) -> tuple[str, Session]:
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self._clock.now().timestamp()
        with self._lock:
            self._db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    digest(session_id),
                    principal.role,
                    None if principal.agency is None else str(principal.agency),
                    principal.name,
                    principal.key_id,
                    csrf,
                    now,
                    now,
                ),
            )
        return session_id, Session(principal, csrf)

    def get(self, session_id: str) -> Session | None:
        key, now = digest(session_id), self._clock.now().timestamp()
        with self._lock:
            row = self._db.execute(
                "SELECT role, agency, name, key_id, csrf, created_at, last_seen"
                " FROM sessions WHERE id_sha256 = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            role, agency, name, key_id, csrf, created, seen = row
            if (
                now - seen > self._idle.total_seconds()
                or now - created > self._lifetime.total_seconds()
            ):
                self._db.execute("DELETE FROM sessions WHERE id_sha256 = ?", (key,))
                return None
            if now - seen > TOUCH_EVERY.total_seconds():
                self._db.execute(
                    "UPDATE sessions SET last_seen = ? WHERE id_sha256 = ?", (now, key)
                )
        who = Principal(
            role=role, agency=None if agency is None else Agency(agency), name=name, key_id=key_id
        )
        return Session(who, csrf)

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE id_sha256 = ?", (digest(session_id),))

    def expire_before(self, at: datetime) -> None:
        """Housekeeping: drop sessions idle since before ``at``."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE last_seen < ?", (at.timestamp(),))

    def close(self) -> None:
        with self._lock:
            self._db.close()
