"""The tamper-evident hash chain over stored events: pure functions, no I/O.

Each event's chain hash covers its stored bytes and the previous event's chain
hash, so changing, removing or reordering any event changes every hash after
it. Hashing follows RFC 6962's domain separation (``0x00`` before a leaf,
``0x01`` before an interior value) so a leaf can never be passed off as a link::

    leaf(body)        = SHA-256(0x00 || body)
    link(prev, body)  = SHA-256(0x01 || prev || leaf(body))
    chain[0]          = GENESIS (32 zero bytes)
    chain[n]          = link(chain[n-1], body[n])

``body`` is exactly the bytes the adapter stores (the SQLite ``body`` column;
for EventStoreDB the event's data bytes), and the body carries the event's
position, so moving a body to another position breaks the chain too. Any
adapter that stores the same bytes in the same order computes the same chain.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = bytes(32)
"""The chain value before the first event."""


def leaf(body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + body).digest()


def link(prev: bytes, body: bytes) -> bytes:
    """The chain value after ``body``, given the value before it."""
    return hashlib.sha256(b"\x01" + prev + leaf(body)).digest()


@dataclass(frozen=True, slots=True)
class StoredLink:
    """One stored event as the verifier sees it: its position, bytes and claimed hash."""

    position: int
    body: bytes
    chain_hash: str | None
    consistent: bool = True
    """False where what an adapter keeps beside the body to find events (SQLite's
    case_id, event_id, ... columns) disagrees with the body: a quieter tamper."""


@dataclass(frozen=True, slots=True)
class Break:
    """The first place the chain does not hold, and why."""

    position: int
    reason: str


@dataclass(frozen=True, slots=True)
class Verified:
    """The result of walking the chain: the last good position and hash, or a break."""

    position: int
    chain_hash: bytes
    checked: int
    broken: Break | None = None


def verify(links: Iterable[StoredLink], *, start: int = 1, prev: bytes = GENESIS) -> Verified:
    """Recompute the chain from ``start`` (``prev`` is the value before it); stop at
    the first break. A gap in positions is a deleted event."""
    expected, checked = start, 0
    for stored in links:
        computed = link(prev, stored.body)
        broken = _check(stored, expected, computed)
        if broken is not None:
            return Verified(expected - 1, prev, checked, broken)
        prev, expected, checked = computed, expected + 1, checked + 1
    return Verified(expected - 1, prev, checked)


def _check(stored: StoredLink, expected: int, computed: bytes) -> Break | None:
    if stored.position != expected:
        return Break(expected, f"event {expected} is missing (the next is {stored.position})")
    if stored.chain_hash is None:
        return Break(expected, "the event carries no chain hash")
    if stored.chain_hash != computed.hex():
        return Break(expected, "the stored event does not match its chain hash")
    if not stored.consistent:
        return Break(expected, "the indexed columns do not match the stored event")
    return None
