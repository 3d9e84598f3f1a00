"""The feed port: how a consumer (projection, notifier) receives the shared stream.

Two adapters: ``StoreFeed`` follows the event store directly (embedded, one
machine); ``KafkaEventFeed`` reads the Kafka topic the relay fills (production).
Both deliver at least once; consumers dedupe by ``event_id``. A consumer calls
``batch.ack()`` only after its read model is durably updated, so a crash between
the two redelivers rather than loses.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from events.records import RecordedEvent
from infra.store.port import EventStore


async def _nothing() -> None:
    return None


@dataclass(slots=True)
class FeedBatch:
    events: list[RecordedEvent]
    ack: Callable[[], Awaitable[None]] = field(default=_nothing)


class EventFeed(Protocol):
    def batches(self, from_position: int) -> AsyncIterator[FeedBatch]:
        """Yield batches forever. ``from_position`` is the consumer's own durable
        checkpoint + 1; feeds with their own offsets (Kafka) may ignore it."""
        ...

    async def close(self) -> None: ...


class StoreFeed:
    """Follow an ``EventStore`` directly. The checkpoint is the consumer's, stored
    with its read model, so ``ack`` has nothing to do."""

    def __init__(self, store: EventStore, *, max_batch: int = 1000) -> None:
        self._store = store
        self._max_batch = max_batch

    async def batches(self, from_position: int) -> AsyncIterator[FeedBatch]:
        position = from_position
        while True:
            events = await self._store.read_all(position, self._max_batch)
            if events:
                position = events[-1].position + 1
                yield FeedBatch(events)
                continue
            async for event in self._store.subscribe(position):
                yield FeedBatch([event])
                position = event.position + 1
                break  # go back to paged reads: cheap catch-up after a burst

    async def close(self) -> None:
        return None
