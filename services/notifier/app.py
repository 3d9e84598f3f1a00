"""The notifier alone (``safeguard run notifier`` / ``python -m services.notifier``).

It delivers what is in its outbox (retries, escalations) and serves duty
managers' endpoints. Findings reach it through ``Notifier.on_findings``: from the
projection in the same process (embedded), or, with ``store.feed = "kafka"``, from
a fold of the topic it runs itself. Several processes may share one outbox
file: only the holder of its delivery lease sends (``lease.py``).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from infra.clock import Clock
from infra.config import Settings
from infra.metrics import Metrics
from infra.store.port import EventStore
from services.http.app import create_service_app
from services.http.runtime import open_runtime
from services.notifier.api import alerts_router
from services.notifier.bootstrap import build_notifier
from services.notifier.service import Notifier

log = logging.getLogger("safeguard.notifier")
#: Back-off before restarting a failed delivery loop, doubling up to the max.
RETRY_FIRST, RETRY_MAX = 0.5, 30.0


@asynccontextmanager
async def running_notifier(
    settings: Settings, *, store: EventStore, clock: Clock, metrics: Metrics | None = None
) -> AsyncIterator[Notifier]:
    """Build, run in the background, and close on exit. A crashed delivery loop is
    logged and restarted with back-off: alerts wait in the durable outbox meanwhile,
    and a duty manager must not go unpaged until someone restarts the process."""
    notifier = await build_notifier(settings, store=store, clock=clock, metrics=metrics)
    task = asyncio.create_task(supervise(notifier), name="notifier")
    try:
        yield notifier
    finally:
        await notifier.close()
        task.cancel()  # it may be waiting out a back-off
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def supervise(notifier: Notifier) -> None:
    delay = RETRY_FIRST
    while True:
        try:
            await notifier.run()
            return  # closed
        except asyncio.CancelledError:
            raise
        except Exception:
            notifier.restarts += 1
            log.exception("notifier delivery loop failed; restarting in %.1fs", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)


def create_app(
    settings: Settings, *, store: EventStore | None = None, clock: Clock | None = None
) -> FastAPI:
    def lifespan(app: FastAPI) -> AbstractAsyncContextManager[None]:
        return _lifespan(app, settings, store, clock)

    app = create_service_app(
        settings,
        title="Safeguard notifier",
        description="Duty-manager alerts: list, acknowledge, resolve.",
        lifespan=lifespan,
    )
    app.state.notifier = None
    app.include_router(alerts_router())
    return app


@asynccontextmanager
async def _lifespan(
    app: FastAPI, settings: Settings, store: EventStore | None, clock: Clock | None
) -> AsyncIterator[None]:
    async with (
        open_runtime(settings, store=store, clock=clock) as runtime,
        running_notifier(
            settings, store=runtime.store, clock=runtime.clock, metrics=app.state.metrics
        ) as notifier,
        findings_from_kafka(settings, notifier, runtime.clock),
    ):
        app.state.notifier = notifier
        yield
        app.state.notifier = None


@asynccontextmanager
async def findings_from_kafka(
    settings: Settings, notifier: Notifier, clock: Clock
) -> AsyncIterator[None]:
    """Alone, the notifier hears of findings by folding the stream itself, from its
    own consumer group: the same pure rules give the same findings, and its outbox
    drops any finding the projection's replicas would also have announced."""
    if settings.store.feed != "kafka":
        yield
        return
    from infra.kafka.feed import KafkaEventFeed
    from services.projection.bootstrap import running_projection

    feed = KafkaEventFeed(settings.kafka, group_id=settings.kafka.notifier_group)
    async with running_projection(
        settings,
        feed=feed,
        clock=clock,
        sinks=[notifier],
        source="kafka",
        read_model=settings.data_dir / "notifier-picture.db",
    ):
        yield
