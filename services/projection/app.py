"""The projection alone (``safeguard run projection``): the joint-picture API,
fed from the store or from Kafka (``store.feed``)."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from infra.clock import Clock
from infra.config import Settings
from infra.store.port import EventStore
from services.console import mount_console
from services.http.app import create_service_app
from services.http.runtime import open_runtime
from services.projection.api import projection_router
from services.projection.bootstrap import running_projection
from services.projection.links_api import links_router


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
    app.include_router(links_router())
    mount_console(app, settings)
    return app


@asynccontextmanager
async def _lifespan(
    app: FastAPI, settings: Settings, store: EventStore | None, clock: Clock | None
) -> AsyncIterator[None]:
    if settings.store.feed == "kafka":  # no store here: the topic is the source
        from infra.kafka.feed import KafkaEventFeed

        feed = KafkaEventFeed(settings.kafka, group_id=settings.kafka.projection_group)
        async with running_projection(
            settings, feed=feed, clock=clock, source="kafka"
        ) as projection:
            app.state.projection = projection
            yield
            app.state.projection = None
        return
    async with (
        open_runtime(settings, store=store, clock=clock) as runtime,
        running_projection(settings, store=runtime.store, clock=runtime.clock) as projection,
    ):
        app.state.projection = projection
        yield
        app.state.projection = None
