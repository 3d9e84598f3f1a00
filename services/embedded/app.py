"""The embedded app: the three agency services (and, as they land, the
projection and notifier) in one process, sharing one store.

This is the composition root of ``safeguard serve``. To add a service, include
its router below and start its workers inside ``lifespan`` where marked.
"""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from events import Agency
from infra.clock import Clock
from infra.config import Settings
from infra.store.port import EventStore
from services.http.app import create_service_app
from services.http.runtime import open_runtime
from services.ingest.router import ingest_router
from services.ingest.schemas import schemas_router

DESCRIPTION = (
    "Safeguard, embedded: police, out-of-hours social care (EDT) and health post "
    "immutable events to their own endpoints on one shared stream. Authenticate "
    "with `Authorization: Bearer <key>`. Event schemas: `GET /schemas`."
)


def create_embedded_app(
    settings: Settings, *, store: EventStore | None = None, clock: Clock | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            runtime = await stack.enter_async_context(
                open_runtime(settings, store=store, clock=clock)
            )
            app.state.runtime = runtime
            # Hook: start projection / notifier workers here with
            # `await stack.enter_async_context(...)`; they stop in reverse order.
            yield
            app.state.runtime = None

    app = create_service_app(
        settings, title="Safeguard", description=DESCRIPTION, lifespan=lifespan
    )
    for agency in Agency:
        app.include_router(ingest_router(agency))
    app.include_router(schemas_router())
    # Hook: include the projection and notifier routers here.
    return app
