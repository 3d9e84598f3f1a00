"""Composition root of the projection: read model, case book, feed and timer."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from events.records import RecordedEvent
from infra.clock import Clock, SystemClock
from infra.config import Settings
from infra.feed import EventFeed, StoreFeed
from infra.metrics import Metrics
from infra.store.port import EventStore
from services.projection.casebook import CaseBook
from services.projection.domain.rules import policy_from_settings
from services.projection.gauges import ProjectionGauges
from services.projection.ownership import PartitionOwnership, SharedReads
from services.projection.repository import ProjectionRepository
from services.projection.service import FindingSink, ProjectionService


def read_model_path(settings: Settings) -> Path:
    return settings.data_dir / "projection.db"


@asynccontextmanager
async def running_projection(
    settings: Settings,
    *,
    store: EventStore | None = None,
    feed: EventFeed | None = None,
    clock: Clock | None = None,
    sinks: Sequence[FindingSink] = (),
    source: str = "store",
    metrics: Metrics | None = None,
    read_model: Path | None = None,
) -> AsyncIterator[ProjectionService]:
    """Start the projection (load, catch up, follow live) and stop it on exit.

    Fed from the store, it folds its history from the store; fed from anything
    else (Kafka), it keeps its own copy of the events it has seen, in a read
    model its group's members may share (``ownership.py``).
    """
    if feed is None:
        if store is None:
            raise ValueError("the projection needs a store or a feed")
        feed = StoreFeed(store)
    store_fed = isinstance(feed, StoreFeed) and store is not None
    repository = ProjectionRepository(
        read_model or read_model_path(settings), keep_events=not store_fed
    )

    async def history(checkpoint: int) -> list[RecordedEvent]:
        if store_fed:
            assert store is not None
            return await read_up_to(store, checkpoint)
        return []  # partitioned: cases come with their partitions (ownership.py)

    service = ProjectionService(
        feed=feed,
        history=history,
        repository=repository,
        casebook=CaseBook(policy_from_settings(settings.rules)),
        clock=clock or SystemClock(),
        sinks=sinks,
        source=source,
        gauges=None if metrics is None else ProjectionGauges(metrics, store if store_fed else None),
    )
    if not store_fed:
        feed.watch(PartitionOwnership(service, repository))
        service.reads = SharedReads(repository, service.cases)
    try:
        await service.start()
        task = asyncio.create_task(service.run(), name="projection")
        try:
            yield service
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await feed.close()
        repository.close()


async def read_up_to(store: EventStore, last: int, page: int = 10_000) -> list[RecordedEvent]:
    """Every event from position 1 to ``last``."""
    events: list[RecordedEvent] = []
    while len(events) < last:
        batch = await store.read_all(len(events) + 1, min(page, last - len(events)))
        if not batch:
            break
        events.extend(batch)
    return events
