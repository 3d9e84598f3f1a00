"""Which chain ``safeguard verify`` walks: the one place its backend is chosen.

SQLite keeps the chain in each row (written in the append's transaction); the
EventStoreDB adapter has it sealed into the ``safeguard-chain`` stream beside
the case streams. Both answer the same ``ChainSource`` port, with the same
``chain.verify`` underneath, so checkpoints are interchangeable in format.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from infra.config import Settings
from infra.integrity.ports import ChainSource
from infra.sqlite.chain_links import verify_file
from infra.store.chain import Verified
from infra.store.opening import sqlite_path


class SQLiteChainSource:
    """The chain in a SQLite store file, read directly (no server needed)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def verify(self, *, start: int = 1, until: int | None = None) -> Verified:
        return await asyncio.to_thread(verify_file, self._path, start=start, until=until)

    async def unsealed(self) -> int:
        return 0  # every row is chained in the transaction that writes it


@contextlib.asynccontextmanager
async def open_chain_source(settings: Settings) -> AsyncIterator[ChainSource]:
    """The chain of the store ``settings.store.backend`` names."""
    if settings.store.backend == "eventstoredb":
        from infra.eventstoredb import EventStoreDBEventStore
        from infra.integrity.sealed_walk import SealedChainSource

        async with EventStoreDBEventStore(settings.store.eventstoredb_uri) as store:
            yield SealedChainSource(store, store.chain_log())
        return
    yield SQLiteChainSource(sqlite_path(settings))
