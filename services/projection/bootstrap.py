"""Composition root of the projection: read model, case book, feed and timer."""

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from events.records import RecordedEvent
from infra.clock import Clock, SystemClock
from infra.config import Settings
from infra.feed import EventFeed, StoreFeed
from infra.metrics import Metrics
from infra.sqlite.readmodel import SQLiteReadModel
from infra.store.port import EventStore
from services.projection.casebook import CaseBook
from services.projection.domain.policy import RulePolicy
from services.projection.domain.rules import policy_from_settings
from services.projection.gauges import ProjectionGauges
from services.projection.ownership import PartitionOwnership
from services.projection.readmodel import fingerprint
from services.projection.service import FindingSink, ProjectionService

SWITCH_INTERVAL = 0.001
"""Seconds a thread may keep the GIL once another asks for it (CPython's default:
0.005). The projection's worker threads (snapshot writes, case loads, queries)
run Python code; with two of them busy the event loop waited 60 ms and more for
the GIL at the default, and under 20 ms at this."""


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

    It resumes from its read model (snapshots and checkpoint); fed from anything
    but the store (Kafka), it also keeps its own copy of the events it has seen,
    in a read model its group's members may share (``ownership.py``).
    """
    if feed is None:
        if store is None:
            raise ValueError("the projection needs a store or a feed")
        feed = StoreFeed(store)
    store_fed = isinstance(feed, StoreFeed) and store is not None
    policy = policy_from_settings(settings.rules)
    model = await asyncio.to_thread(  # an index added to a big file takes a while
        open_read_model, read_model or read_model_path(settings), policy, keep_events=not store_fed
    )

    async def refetch(case_id: str) -> list[RecordedEvent]:
        assert store is not None
        return await store.read_case(case_id)

    service = ProjectionService(
        feed=feed,
        model=model,
        casebook=CaseBook(policy, capacity=settings.projection.cache_cases),
        clock=clock or SystemClock(),
        sinks=sinks,
        source=source,
        gauges=None if metrics is None else ProjectionGauges(metrics, store if store_fed else None),
        refetch=refetch if store_fed else None,
    )
    if not store_fed:  # a consumer group's member: its partitions' cases only
        feed.watch(PartitionOwnership(service))
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, SWITCH_INTERVAL))
    try:
        await service.start()
        task = asyncio.create_task(service.run(), name="projection")
        try:
            yield service
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await service.stop()
    finally:
        await feed.close()
        await asyncio.to_thread(model.close)  # checkpoints the WAL: 0.2 s at 10M events
        sys.setswitchinterval(switch_interval)


def open_read_model(
    path: Path, policy: RulePolicy, *, keep_events: bool, cache_mib: int = 0
) -> SQLiteReadModel:
    """The read model file; one of an older format or fingerprint is reset, and
    then refolded once: from the store by the feed (its checkpoint is 0), or from
    the kept events at start (every case is then behind its snapshot)."""
    return SQLiteReadModel(
        path, keep_events=keep_events, fingerprint=fingerprint(policy), cache_mib=cache_mib
    )
