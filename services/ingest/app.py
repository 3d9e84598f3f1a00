"""One agency's service alone (``safeguard run police``): the shared factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from events import Agency
from infra.clock import Clock
from infra.config import Settings
from infra.store.port import EventStore
from services.http.app import create_service_app
from services.http.runtime import open_runtime
from services.ingest.router import include_ingest
from services.ingest.schemas import schemas_router
from services.ingest.validation import open_validators

DESCRIPTION = (
    "Records {agency} events, immutably, on the shared Safeguard stream. "
    "Authenticate with `Authorization: Bearer <key>`. Event schemas: `GET /schemas`."
)


def create_agency_app(
    agency: Agency,
    settings: Settings,
    *,
    store: EventStore | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            open_runtime(settings, store=store, clock=clock, metrics=app.state.metrics) as runtime,
            open_validators(settings) as validators,
        ):
            app.state.runtime, app.state.validators = runtime, validators
            yield
            app.state.runtime = app.state.validators = None

    app = create_service_app(
        settings,
        title=f"Safeguard {agency} ingest",
        description=DESCRIPTION.format(agency=agency),
        lifespan=lifespan,
    )
    include_ingest(app, agency)
    app.include_router(schemas_router())
    return app
