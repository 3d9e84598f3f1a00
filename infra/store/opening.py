"""Opening the configured event store: the one place an adapter is chosen.

Adapters are imported here, not at module top, so a SQLite-only deployment never
loads the EventStoreDB client (and its gRPC runtime).
"""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from infra.clock import Clock
from infra.config import Settings
from infra.files import private_dir
from infra.store.port import EventStore


def sqlite_path(settings: Settings) -> Path:
    return settings.store.sqlite_path or settings.data_dir / "events.db"


@contextlib.asynccontextmanager
async def open_store(
    settings: Settings, *, clock: Clock | None = None
) -> AsyncIterator[EventStore]:
    """The store ``settings.store.backend`` names, started, closed on exit."""
    if settings.store.backend == "eventstoredb":
        from infra.eventstoredb import EventStoreDBEventStore

        async with EventStoreDBEventStore(settings.store.eventstoredb_uri, clock=clock) as esdb:
            yield esdb
        return
    from infra.sqlite.store import SQLiteEventStore

    path = sqlite_path(settings)
    private_dir(path.parent)
    async with SQLiteEventStore(path, clock=clock, hash_chain=settings.trust.hash_chain) as sqlite:
        yield sqlite
