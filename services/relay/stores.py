"""Opening the configured event store, for processes that only read it."""

import contextlib
from collections.abc import AsyncIterator

from infra.config import Settings
from infra.store.port import EventStore


@contextlib.asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[EventStore]:
    """The store ``settings.store.backend`` names, started, closed on exit.

    Adapters are imported here, not at module top, so a SQLite-only deployment
    never loads the EventStoreDB client (and its gRPC runtime).
    """
    if settings.store.backend == "eventstoredb":
        from infra.eventstoredb import EventStoreDBEventStore

        esdb = EventStoreDBEventStore(settings.store.eventstoredb_uri)
        await esdb.start()
        try:
            yield esdb
        finally:
            await esdb.close()
        return
    from infra.store.sqlite import SQLiteEventStore

    path = settings.store.sqlite_path or settings.data_dir / "events.db"
    async with SQLiteEventStore(path) as sqlite:
        yield sqlite
