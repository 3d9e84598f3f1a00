"""The education service (schools): built by the shared ingest factory."""

from fastapi import FastAPI

from events import Agency
from infra.clock import Clock
from infra.config import Settings, load_settings
from infra.store.port import EventStore
from services.ingest import create_agency_app


def create_app(
    settings: Settings | None = None,
    *,
    store: EventStore | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    return create_agency_app(
        Agency.EDUCATION, settings or load_settings(), store=store, clock=clock
    )
