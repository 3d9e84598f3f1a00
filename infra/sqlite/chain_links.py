"""Read the chain back out of a SQLite event store file, for ``safeguard verify``.

One SELECT per walk: in WAL mode a statement sees one committed snapshot, so a
store that is being written while it is verified is still verified consistently.
"""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson

from infra.sqlite.schema import connect_reader
from infra.store import chain
from infra.store.port import StoreUnavailable

_COLUMNS = ("event_id", "case_id", "stream_version", "type", "agency", "position")
_SELECT = (
    "SELECT position, body, chain_hash, event_id, case_id, stream_version, type, agency"
    " FROM events WHERE position >= ? AND position <= ? ORDER BY position"
)


def verify_file(path: Path, *, start: int = 1, until: int | None = None) -> chain.Verified:
    """Recompute the chain of the store at ``path`` over positions ``start..until``.

    From a ``start`` after 1 the stored hash of ``start - 1`` is taken on trust
    as the anchor; only a walk from 1 (or a checkpoint) proves the prefix.
    """
    conn = _open(path)
    try:
        prev = chain.GENESIS if start <= 1 else _stored_hash(conn, start - 1)
        return chain.verify(_links(conn, start, until), start=max(start, 1), prev=prev)
    except sqlite3.Error as e:
        raise StoreUnavailable(f"cannot read {path}: {e}") from e
    finally:
        conn.close()


def verify_audit_file(path: Path, *, until: int | None = None) -> chain.Verified:
    """Recompute the access audit's own chain (``infra.sqlite.audit``) over ``1..until``."""
    conn = _open(path)
    try:
        last = until if until is not None else 2**63 - 1
        rows = conn.execute(
            "SELECT seq, body, chain_hash FROM access WHERE seq <= ? ORDER BY seq", (last,)
        )
        return chain.verify(chain.StoredLink(s, _bytes(b), h) for s, b, h in rows)
    except sqlite3.Error as e:
        raise StoreUnavailable(f"cannot read {path}: {e}") from e
    finally:
        conn.close()


def head_position(path: Path) -> int:
    conn = _open(path)
    try:
        return int(conn.execute("SELECT max(position) FROM events").fetchone()[0] or 0)
    finally:
        conn.close()


def _open(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise StoreUnavailable(f"no event store at {path}")
    try:
        return connect_reader(path)
    except sqlite3.Error as e:
        raise StoreUnavailable(f"cannot open {path}: {e}") from e


def _stored_hash(conn: sqlite3.Connection, position: int) -> bytes:
    row = conn.execute("SELECT chain_hash FROM events WHERE position = ?", (position,)).fetchone()
    if row is None or row[0] is None:
        raise StoreUnavailable(f"no chained event at position {position} to start from")
    return bytes.fromhex(row[0])


def _links(conn: sqlite3.Connection, start: int, until: int | None) -> Iterator[chain.StoredLink]:
    last = until if until is not None else 2**63 - 1
    for position, stored, chain_hash, *columns in conn.execute(_SELECT, (start, last)):
        body = _bytes(stored)
        yield chain.StoredLink(position, body, chain_hash, _consistent(body, columns, position))


def _bytes(value: object) -> bytes:
    """A tampered row may hold TEXT (or NULL) where a BLOB was stored: still bytes to hash."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return b"" if value is None else str(value).encode("utf-8", "surrogatepass")


def _consistent(body: bytes, columns: list[object], position: int) -> bool:
    try:
        stored = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False  # the chain check reports the edit first; this is belt and braces
    if not isinstance(stored, dict):
        return False
    return [stored.get(name) for name in _COLUMNS] == [*columns, position]
