"""What a request handler may depend on — settings, store, clock — and the
composition root that opens them.

``open_runtime`` is called from a FastAPI ``lifespan``; nothing is opened at
import or app construction. A store passed in by the caller (a test, the
embedded app) is used as is and stays the caller's to close.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from infra.clock import Clock, SystemClock
from infra.config import Settings
from infra.metrics import Metrics
from infra.store.metered import MeteredEventStore
from infra.store.port import EventStore
from services.http.problems import ServiceUnavailable


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    store: EventStore
    clock: Clock


def sqlite_path(settings: Settings) -> Path:
    return settings.store.sqlite_path or settings.data_dir / "events.db"


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    store: EventStore | None = None,
    clock: Clock | None = None,
    metrics: Metrics | None = None,
) -> AsyncIterator[Runtime]:
    """``metrics`` given: appends through this runtime are counted."""
    clock = clock or SystemClock()
    if store is not None:
        yield Runtime(settings, _metered(store, metrics), clock)
        return
    if settings.store.backend != "sqlite":
        raise NotImplementedError(f"store backend {settings.store.backend!r} is not wired yet")
    from infra.store.sqlite import SQLiteEventStore  # the adapter is chosen here only

    path = sqlite_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite = SQLiteEventStore(path, clock=clock, hash_chain=settings.trust.hash_chain)
    await sqlite.start()
    try:
        yield Runtime(settings, _metered(sqlite, metrics), clock)
    finally:
        await sqlite.close()


def _metered(store: EventStore, metrics: Metrics | None) -> EventStore:
    return store if metrics is None else MeteredEventStore(store, metrics)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise ServiceUnavailable("the service is starting or stopping")
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_store(runtime: RuntimeDep) -> EventStore:
    return runtime.store


def get_clock(runtime: RuntimeDep) -> Clock:
    return runtime.clock


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


StoreDep = Annotated[EventStore, Depends(get_store)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
