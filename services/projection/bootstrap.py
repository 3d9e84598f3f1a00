"""Composition root of the projection: read model, case book, feed and timer."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from infra.clock import Clock, SystemClock
from infra.config import Settings
from infra.feed import EventFeed, StoreFeed
from infra.store.port import EventStore
from services.projection.casebook import CaseBook
from services.projection.domain.policy import RulePolicy
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
) -> AsyncIterator[ProjectionService]:
    """Start the projection (load, catch up, follow live) and stop it on exit."""
    if feed is None:
        if store is None:
            raise ValueError("the projection needs a store or a feed")
        feed = StoreFeed(store)
    repository = ProjectionRepository(read_model_path(settings))
    service = ProjectionService(
        feed=feed,
        repository=repository,
        casebook=CaseBook(RulePolicy.from_settings(settings.rules)),
        clock=clock or SystemClock(),
        sinks=sinks,
        source=source,
    )
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
