"""The embedded app: the agency services, the projection and the
notifier in one process, sharing one store.

This is the composition root of ``safeguard serve``. The notifier starts before
the projection that feeds it findings, so it stops after it.
"""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from events import Agency
from infra.clock import Clock
from infra.config import Settings
from infra.store.port import EventStore
from services.console import mount_console
from services.http.app import create_service_app
from services.http.runtime import open_runtime
from services.ingest.router import include_ingest
from services.ingest.schemas import schemas_router
from services.ingest.validation import open_validators
from services.notifier.api import alerts_router
from services.notifier.app import running_notifier
from services.projection.api import projection_router
from services.projection.bootstrap import running_projection
from services.projection.links_api import links_router

DESCRIPTION = (
    "Safeguard, embedded: police, out-of-hours social care (EDT), health, education "
    "(schools) and children's social care (day teams) post immutable events to their "
    "own endpoints on one shared stream. Authenticate with "
    "`Authorization: Bearer <key>`. Event schemas: `GET /schemas`."
)


def create_embedded_app(
    settings: Settings, *, store: EventStore | None = None, clock: Clock | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            runtime = await stack.enter_async_context(
                open_runtime(settings, store=store, clock=clock, metrics=app.state.metrics)
            )
            app.state.runtime = runtime
            app.state.validators = await stack.enter_async_context(open_validators(settings))
            notifier = await stack.enter_async_context(
                running_notifier(
                    settings, store=runtime.store, clock=runtime.clock, metrics=app.state.metrics
                )
            )
            projection = await stack.enter_async_context(
                running_projection(
                    settings,
                    store=runtime.store,
                    clock=runtime.clock,
                    sinks=[notifier],
                    metrics=app.state.metrics,
                )
            )
            app.state.notifier, app.state.projection = notifier, projection
            yield
            app.state.runtime = app.state.validators = None
            app.state.notifier = app.state.projection = None

    app = create_service_app(
        settings, title="Safeguard", description=DESCRIPTION, lifespan=lifespan
    )
    for agency in Agency:
        include_ingest(app, agency)
    app.include_router(schemas_router())
    app.include_router(projection_router())
    app.include_router(links_router())
    app.include_router(alerts_router())
    mount_console(app, settings)
    app.state.notifier = app.state.projection = None
    return app
