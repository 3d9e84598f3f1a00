"""What sealing and verifying a chain kept beside the store need from the world."""

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from infra.integrity.sealing import ChainHead, Sealed, StoredBody
from infra.store.chain import Verified
from infra.store.port import ConcurrencyError, StoreError


class ChainConflict(ConcurrencyError):
    """Another sealer extended the chain stream since this one read its head.

    Only one sealer may write the chain (every append names the revision it
    read); the loser reloads the head and goes on from there, never writes twice.
    """

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(stream, expected, actual)
        self.args = (f"another sealer extended {stream}: at revision {actual}, not {expected}",)


class CorruptChain(StoreError):
    """A chain stream event cannot be read as links: someone wrote it by hand."""


class StoredBodies(Protocol):
    async def read_bodies(self, from_position: int, limit: int) -> list[StoredBody]:
        """The exact bytes stored for the events at ``from_position``.. in position
        order: the chain covers what is stored, not a decoded copy of it."""
        ...

    async def head_position(self) -> int:
        """The last position stored (0 if empty)."""
        ...


class ChainLog(Protocol):
    async def head(self) -> ChainHead:
        """The last sealed link, read back from the log itself so a restarted
        sealer resumes exactly where the chain ends."""
        ...

    async def append(self, links: Sequence[Sealed], *, after: ChainHead) -> ChainHead:
        """Write ``links`` as one entry, only if the log is still at ``after``'s
        revision; else ``ChainConflict``. Returns the new head."""
        ...

    def links(self, from_position: int = 1) -> AsyncIterator[Sealed]:
        """Every sealed link from ``from_position`` in the order written; raises
        ``CorruptChain`` at an entry that cannot be read."""
        ...


class ChainSource(Protocol):
    """What ``safeguard verify`` walks, whatever the backend."""

    async def verify(self, *, start: int = 1, until: int | None = None) -> Verified:
        """Recompute the chain over ``start..until`` (None: the last chained event).
        From a ``start`` after 1 the stored hash before it is taken on trust."""
        ...

    async def unsealed(self) -> int:
        """Events stored after the last chained one: a sealer's lag, not a break."""
        ...
