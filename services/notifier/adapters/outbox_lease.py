"""The delivery lease and claims on due rows, for notifiers sharing one outbox.

One lease row holds an owner, an expiry and a fencing token that grows by one
at every change of owner. A claim marks due rows in flight with the claimer's
token, and every claim and result write is conditional on that token still
being the current one, so a holder that lost the lease (paused past its expiry,
cut off) can neither take a row nor record an outcome. Each step is a single
conditional statement a PostgreSQL adapter can copy (``UPDATE ... RETURNING``).
"""

import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta

import orjson

from services.notifier.errors import LeaseLost

LEASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS lease (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    token INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
"""

CLAIM_COLUMNS = {"claimed_by": "INTEGER", "claimed_until": "REAL"}
"""Added to ``alerts`` in place on outbox files made before the lease."""

CURRENT = "EXISTS (SELECT 1 FROM lease WHERE name = 'delivery' AND token = :token)"

_TAKE = """UPDATE lease SET
    token = token + CASE WHEN owner = :owner THEN 0 ELSE 1 END, owner = :owner, expires_at = :until
WHERE name = 'delivery' AND (owner = :owner OR expires_at <= :now)
RETURNING token"""
"""Renew if ours (no one took it meanwhile, so no one claimed under another
token), take it with the next token if it has expired, else nothing."""

_CLAIM = """UPDATE alerts SET claimed_by = :token, claimed_until = :until
WHERE alert_id IN (
    SELECT alert_id FROM alerts WHERE delivery = 'pending' AND next_attempt_at <= :now
    AND (claimed_until IS NULL OR claimed_until <= :now)
    AND alert_id NOT IN (SELECT value FROM json_each(:skip))
    ORDER BY next_attempt_at LIMIT :limit)
AND EXISTS (SELECT 1 FROM lease WHERE name = 'delivery' AND token = :token
    AND expires_at > :now)
RETURNING *"""


def migrate(db: sqlite3.Connection) -> None:
    """Add the lease table and claim columns, idempotently, in one transaction
    (two notifiers may open an old file at once)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(LEASE_SCHEMA)
        have = {r[1] for r in db.execute("PRAGMA table_info(alerts)")}
        for column, kind in CLAIM_COLUMNS.items():
            if column not in have:
                db.execute(f"ALTER TABLE alerts ADD COLUMN {column} {kind}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def acquire_or_renew(
    db: sqlite3.Connection, owner: str, ttl: timedelta, now: datetime
) -> int | None:
    """The token if ``owner`` now holds the lease, else None. On a change of
    owner the claims of earlier tokens are released: their holder is fenced, so
    what it had in flight is due again (re-sent with the same webhook-id)."""
    db.execute("INSERT OR IGNORE INTO lease VALUES ('delivery', '', 0, 0)")
    (holder,) = db.execute("SELECT owner FROM lease WHERE name = 'delivery'").fetchone()
    params = {"owner": owner, "now": now.timestamp(), "until": (now + ttl).timestamp()}
    row = db.execute(_TAKE, params).fetchone()
    if row is None:
        return None
    token = int(row[0])
    if holder != owner:  # a renewal keeps the token: no earlier claims to release
        db.execute(
            "UPDATE alerts SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by < ?",
            (token,),
        )
    return token


def release(db: sqlite3.Connection, owner: str) -> None:
    """Let a standby take over at once rather than after the expiry."""
    db.execute("UPDATE lease SET expires_at = 0 WHERE name = 'delivery' AND owner = ?", (owner,))


def claim(
    db: sqlite3.Connection,
    token: int,
    now: datetime,
    limit: int,
    until: datetime,
    exclude: Iterable[str],
) -> list[sqlite3.Row]:
    """Due rows, marked in flight under ``token`` in one statement: no two
    senders ever take the same row. Earliest due first."""
    params = {
        "token": token,
        "now": now.timestamp(),
        "until": until.timestamp(),
        "limit": limit,
        "skip": orjson.dumps(list(exclude)).decode(),
    }
    rows = db.execute(_CLAIM, params).fetchall()
    return sorted(rows, key=lambda r: float(r["next_attempt_at"]))


def check_token(db: sqlite3.Connection, token: int) -> None:
    """Inside a write transaction: refuse to go on under a stale token."""
    row = db.execute(f"SELECT {CURRENT}", {"token": token}).fetchone()
    if not row[0]:
        raise LeaseLost(token)
