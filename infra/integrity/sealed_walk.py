"""Verifying a chain kept beside the store (EventStoreDB's ``safeguard-chain``).

Walks the chain log and the store side by side in position order, a page at a
time, and checks each page with ``sealing.check`` (which uses ``chain.verify``),
so memory stays one page however long the history.
"""

from collections.abc import AsyncIterator
from dataclasses import replace

from infra.integrity.ports import ChainLog, CorruptChain, StoredBodies
from infra.integrity.sealing import Sealed, check
from infra.store import chain
from infra.store.port import StoreUnavailable

PAGE = 1_000


async def verify_sealed(
    bodies: StoredBodies,
    chain_log: ChainLog,
    *,
    start: int = 1,
    until: int | None = None,
    page: int = PAGE,
) -> chain.Verified:
    """Recompute the chain over sealed positions ``start..until``. From a ``start``
    after 1 the sealed hash of ``start - 1`` is taken on trust as the anchor."""
    start = max(start, 1)
    links = chain_log.links(max(start - 1, 1))
    result = chain.Verified(start - 1, await _anchor(links, start), 0)
    try:
        async for sealed in _pages(links, until, page):
            stored = await bodies.read_bodies(result.position + 1, len(sealed))
            result = check(result, sealed, stored)
            if result.broken is not None:
                return result
    except CorruptChain as e:
        return replace(result, broken=chain.Break(result.position + 1, str(e)))
    return result


class SealedChainSource:
    """``ChainSource`` for a store whose chain a sealer keeps in a chain log."""

    def __init__(self, bodies: StoredBodies, chain_log: ChainLog) -> None:
        self._bodies, self._log = bodies, chain_log

    async def verify(self, *, start: int = 1, until: int | None = None) -> chain.Verified:
        return await verify_sealed(self._bodies, self._log, start=start, until=until)

    async def unsealed(self) -> int:
        head = await self._bodies.head_position()
        return max(head - (await self._log.head()).position, 0)


async def _anchor(links: AsyncIterator[Sealed], start: int) -> bytes:
    if start <= 1:
        return chain.GENESIS
    first = await anext(links, None)
    if first is None or first.position != start - 1:
        raise StoreUnavailable(f"no sealed event at position {start - 1} to start from")
    return bytes.fromhex(first.chain_hash)


async def _pages(
    links: AsyncIterator[Sealed], until: int | None, size: int
) -> AsyncIterator[list[Sealed]]:
    """Links in pages of ``size`` up to ``until``; the links read before an
    unreadable chain event come out first, so they are checked before it is reported."""
    pending: list[Sealed] = []
    try:
        async for link in links:
            if until is not None and link.position > until:
                break
            pending.append(link)
            if len(pending) == size:
                yield pending
                pending = []
    except CorruptChain:
        if pending:
            yield pending
        raise
    if pending:
        yield pending
