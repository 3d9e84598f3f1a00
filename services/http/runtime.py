"""What a request handler may depend on — settings, store, clock — and the
composition root that opens them.

``open_runtime`` is called from a FastAPI ``lifespan``; nothing is opened at
import or app construction. A store passed in by the caller (a test, the
embedded app) is used as is and stays the caller's to close.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from infra.clock import Clock, SystemClock
from infra.config import Settings
from infra.metrics import Metrics
from infra.store.metered import MeteredEventStore
from infra.store.opening import open_store
from infra.store.port import EventStore
from services.http.problems import ServiceUnavailable


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    store: EventStore
    clock: Clock


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    store: EventStore | None = None,
    clock: Clock | None = None,
    metrics: Metrics | None = None,
) -> AsyncIterator[Runtime]:
    """A store passed in stays the caller's; otherwise the configured one is opened
    and closed here. ``metrics`` given: appends through this runtime are counted."""
    clock = clock or SystemClock()
    if store is not None:
        yield Runtime(settings, _metered(store, metrics), clock)
        return
    async with open_store(settings, clock=clock) as opened:
        yield Runtime(settings, _metered(opened, metrics), clock)


def _metered(store: EventStore, metrics: Metrics | None) -> EventStore:
    return store if metrics is None else MeteredEventStore(store, metrics)


def started(request: Request, attribute: str, what: str) -> Any:
    """What the app's lifespan put on ``app.state.<attribute>``; a 503 while the
    service is starting or stopping (the lifespan sets it to None then)."""
    found = getattr(request.app.state, attribute, None)
    if found is None:
        raise ServiceUnavailable(f"the {what} is starting or stopping")
    return found


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = started(request, "runtime", "service")
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_store(runtime: RuntimeDep) -> EventStore:
    return runtime.store


async def get_clock(runtime: RuntimeDep) -> Clock:
    return runtime.clock


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


StoreDep = Annotated[EventStore, Depends(get_store)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
