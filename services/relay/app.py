"""The relay's composition root: ``create_app(settings)`` serves ``/healthz`` and
``/metrics`` while a background task relays the store onto Kafka.

Transient failures (broker or store down) restart the relay from its durable
checkpoint after a back-off; anything else ends the task and turns ``/healthz``
red, so the orchestrator restarts the process.

On EventStoreDB the relay also runs the chain sealer (``infra.integrity.sealer``):
that store cannot chain events as it writes them, and the relay is already the
one process that follows it in position order. SQLite chains in its own writes.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from infra.config import Settings
from infra.integrity.sealer import ChainSealer, seal_forever
from infra.kafka import KafkaEventPublisher, KafkaUnavailable
from infra.metrics import Metrics, metrics_router
from infra.store.opening import open_store
from infra.store.port import EventStore, StoreUnavailable
from services.relay.checkpoint import SQLiteRelayCheckpoint
from services.relay.ports import EventPublisher, RelayCheckpoint
from services.relay.relay import Relay

log = logging.getLogger(__name__)
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0)


async def relay_forever(relay: Relay, publisher: EventPublisher) -> None:
    failures, position = 0, relay.position
    while True:
        try:
            await publisher.start()
            await relay.run()
        except (KafkaUnavailable, StoreUnavailable) as e:
            if relay.position > position:  # it made progress since the last failure
                failures, position = 0, relay.position
            delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
            log.warning("relay interrupted, resuming from checkpoint in %.1fs: %s", delay, e)
            failures += 1
            await publisher.close()
            await asyncio.sleep(delay)  # back-off before reconnecting, not a wait on a fact


def create_app(
    settings: Settings,
    *,
    store: EventStore | None = None,
    publisher: EventPublisher | None = None,
    checkpoint: RelayCheckpoint | None = None,
    metrics: Metrics | None = None,
    sealer: ChainSealer | None = None,
) -> FastAPI:
    metrics = metrics or Metrics()
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            the_store = store
            if the_store is None:
                the_store = await stack.enter_async_context(open_store(settings))
            the_publisher = publisher or KafkaEventPublisher(settings.kafka)
            stack.push_async_callback(the_publisher.close)
            the_checkpoint = checkpoint or SQLiteRelayCheckpoint(settings.data_dir / "relay.db")
            stack.push_async_callback(the_checkpoint.close)
            relay = Relay(
                the_store,
                the_publisher,
                the_checkpoint,
                batch=settings.kafka.relay_batch,
                on_relayed=lambda position, n: metrics.relayed(n),
            )
            tasks = [asyncio.create_task(relay_forever(relay, the_publisher), name="relay")]
            the_sealer = sealer or chain_sealer(settings, the_store)
            if the_sealer is not None:
                tasks.append(asyncio.create_task(seal_forever(the_sealer), name="sealer"))
            state.update(relay=relay, tasks=tasks, sealer=the_sealer, store=the_store)
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app = FastAPI(title="Safeguard relay", lifespan=lifespan)
    app.include_router(metrics_router(metrics))

    @app.get("/healthz")
    async def health() -> JSONResponse:
        tasks: list[asyncio.Task[None]] = state["tasks"]
        relay: Relay = state["relay"]
        if any(task.done() for task in tasks):
            return JSONResponse({"status": "failed"}, status_code=503)
        if not relay.live:
            return JSONResponse({"status": "connecting", "position": relay.position}, 503)
        try:
            head = await state["store"].head_position()
        except StoreUnavailable:
            return JSONResponse({"status": "store unavailable"}, status_code=503)
        metrics.lag("relay", head, relay.position)
        body = {"status": "ok", "position": relay.position, "head": head}
        if state["sealer"] is not None:
            body["sealed"] = state["sealer"].head.position
        return JSONResponse(body)

    return app


def chain_sealer(settings: Settings, store: EventStore) -> ChainSealer | None:
    """The sealer the backend needs: EventStoreDB's, or None (SQLite chains itself)."""
    if settings.store.backend != "eventstoredb":
        return None
    from infra.eventstoredb import EventStoreDBEventStore

    if not isinstance(store, EventStoreDBEventStore):
        raise TypeError("the eventstoredb backend seals an EventStoreDBEventStore")
    return ChainSealer(store, store, store.chain_log())
