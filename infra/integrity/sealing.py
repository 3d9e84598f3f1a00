"""Sealing a store's events into a chain kept beside it: pure functions, no I/O.

A store that cannot compute the chain inside its own write transaction
(EventStoreDB: ``$all`` order is known only after commit, and writers append to
case streams concurrently) has its chain written afterwards by one follower, the
*sealer*, as links ``(position, event_id, chain_hash)`` in a chain stream. The
hashes are ``chain.link`` over the exact stored bytes, so the chain is the same
one the SQLite adapter writes per row, and ``chain.verify`` checks both.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from infra.store import chain


@dataclass(frozen=True, slots=True)
class StoredBody:
    """One stored event as the sealer sees it: where it is and its exact bytes."""

    position: int
    event_id: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Sealed:
    """One link of the chain stream: the event sealed at ``position`` and its hash."""

    position: int
    event_id: str
    chain_hash: str

    def to_json(self) -> dict[str, object]:
        return {"position": self.position, "event_id": self.event_id, "chain_hash": self.chain_hash}


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last sealed link and the chain stream revision holding it (None: no stream)."""

    position: int = 0
    chain_hash: bytes = chain.GENESIS
    revision: int | None = None


class SealingGap(ValueError):
    """The bodies given do not follow the head in order: a bug in the caller, not a tamper."""


def seal(head: ChainHead, bodies: Iterable[StoredBody]) -> list[Sealed]:
    """The links that extend the chain past ``head``. Bodies at or before the head
    were sealed already (a redelivery) and are skipped."""
    links: list[Sealed] = []
    prev, position = head.chain_hash, head.position
    for stored in bodies:
        if stored.position <= position:
            continue
        if stored.position != position + 1:
            raise SealingGap(f"position {stored.position} follows {position}")
        prev, position = chain.link(prev, stored.body), position + 1
        links.append(Sealed(position, stored.event_id, prev.hex()))
    return links


def after(head: ChainHead, links: Sequence[Sealed], revision: int) -> ChainHead:
    """The head once ``links`` are written at chain stream ``revision``."""
    if not links:
        return head
    return ChainHead(links[-1].position, bytes.fromhex(links[-1].chain_hash), revision)


def check(
    before: chain.Verified, sealed: Sequence[Sealed], bodies: Sequence[StoredBody]
) -> chain.Verified:
    """Verify the next ``sealed`` links (from ``before.position + 1``) against the
    bodies the store now holds at those positions, continuing ``before``."""
    first = before.position + 1
    links, structural = _paired(first, sealed, bodies)
    page = chain.verify(links, start=first, prev=before.chain_hash)
    result = replace(page, checked=before.checked + page.checked)
    if result.broken is None:
        return replace(result, broken=structural)
    i = result.broken.position - first
    return _explained(result, sealed[i], bodies[i]) if i < len(links) else result


def _paired(
    first: int, sealed: Sequence[Sealed], bodies: Sequence[StoredBody]
) -> tuple[list[chain.StoredLink], chain.Break | None]:
    """Each sealed link beside the stored event at its place, up to the first place
    the chain stream itself is out of order or the store has no event."""
    links: list[chain.StoredLink] = []
    for i, link in enumerate(sealed):
        expected = first + i
        if link.position != expected:
            reason = f"the chain stream holds position {link.position} where {expected} belongs"
            return links, chain.Break(expected, reason)
        if i >= len(bodies):
            reason = f"event {link.event_id} was sealed here; the store no longer holds it"
            return links, chain.Break(expected, reason)
        stored = bodies[i]
        same = stored.event_id == link.event_id
        links.append(chain.StoredLink(stored.position, stored.body, link.chain_hash, same))
    return links, None


def _explained(result: chain.Verified, sealed: Sealed, stored: StoredBody) -> chain.Verified:
    """Name both events when the store holds another one than was sealed there."""
    if result.broken is None or stored.event_id == sealed.event_id:
        return result
    reason = (
        f"event {sealed.event_id} was sealed here; the store holds {stored.event_id}"
        " (an event was deleted, inserted or moved)"
    )
    return replace(result, broken=chain.Break(result.broken.position, reason))
