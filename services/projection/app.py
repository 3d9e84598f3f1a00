"""The projection alone (``safeguard run projection``): the joint-picture API,
fed from the store or from Kafka (``store.feed``)."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from infra.clock import Clock
from infra.config import Settings
from infra.feed import EventFeed, StoreFeed
from infra.store.port import EventStore
from services.http.app import create_service_app
from services.http.runtime import open_runtime
from services.projection.api import projection_router
from services.projection.bootstrap import running_projection


def open_feed(settings: Settings, store: EventStore, *, group: str) -> tuple[EventFeed, str]:
    """The configured feed and the checkpoint source name it uses."""
    if settings.store.feed == "kafka":
        from infra.kafka.feed import KafkaEventFeed  # only where Kafka is configured

        return KafkaEventFeed(settings.kafka, group_id=group), "kafka"
    return StoreFeed(store), "store"


def create_app(
    settings: Settings, *, store: EventStore | None = None, clock: Clock | None = None
) -> FastAPI:
    def lifespan(app: FastAPI) -> AbstractAsyncContextManager[None]:
        return _lifespan(app, settings, store, clock)

    app = create_service_app(
        settings,
        title="Safeguard projection",
        description="The joint picture of each case, its findings, and replay as of any moment.",
        lifespan=lifespan,
    )
    app.state.projection = None
    app.include_router(projection_router())
    return app


@asynccontextmanager
async def _lifespan(
    app: FastAPI, settings: Settings, store: EventStore | None, clock: Clock | None
) -> AsyncIterator[None]:
    async with open_runtime(settings, store=store, clock=clock) as runtime:
        feed, source = open_feed(settings, runtime.store, group=settings.kafka.projection_group)
        async with running_projection(
            settings, feed=feed, clock=runtime.clock, source=source
        ) as projection:
            app.state.projection = projection
            yield
            app.state.projection = None
