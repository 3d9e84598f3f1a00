"""The feed port: how a consumer (projection, notifier) receives the shared stream.

Two adapters: ``StoreFeed`` follows the event store directly (embedded, one
machine); ``KafkaEventFeed`` reads the Kafka topic the relay fills (production).
Both deliver at least once; consumers dedupe by ``event_id``. A consumer calls
``batch.ack()`` only after its read model is durably updated, so a crash between
the two redelivers rather than loses.

A partitioned feed (Kafka) shares the stream among the members of a consumer
group; it tells an ``Ownership`` watcher which partitions it is losing and
gaining, so the consumer can hand over its state before another member starts.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from events.records import RecordedEvent
from infra.store.port import EventStore


async def _nothing() -> None:
    return None


def _always() -> bool:
    return True


@dataclass(slots=True)
class FeedBatch:
    events: list[RecordedEvent]
    ack: Callable[[], Awaitable[None]] = field(default=_nothing)
    partitions: Mapping[str, int] = field(default_factory=dict)
    """The partition each event came from, by event id; empty for an unpartitioned feed."""
    current: Callable[[], bool] = field(default=_always)
    """False once the group has rebalanced since the batch was fetched: its
    partitions may be another member's now, so the batch must be dropped unacked
    (the partition's next owner is redelivered it)."""

    def case_partitions(self) -> dict[str, int]:
        """The partition of each case in the batch (the key pins a case to one)."""
        return {
            event.case_id: self.partitions[event.event_id]
            for event in self.events
            if event.event_id in self.partitions
        }


class Ownership(Protocol):
    """Told by a partitioned feed which partitions this member holds.

    The feed awaits each call before going on: ``revoked`` before the partitions
    go to another member (so the consumer can finish and commit its work on
    them), ``assigned`` before the first record of the new partitions is fetched
    (so the consumer can load their state first)."""

    async def revoked(self, partitions: frozenset[int]) -> None: ...

    async def assigned(self, partitions: frozenset[int]) -> None: ...


class EventFeed(Protocol):
    def batches(self, from_position: int) -> AsyncIterator[FeedBatch]:
        """Yield batches forever. ``from_position`` is the consumer's own durable
        checkpoint + 1; feeds with their own offsets (Kafka) may ignore it."""
        ...

    def watch(self, ownership: Ownership) -> None:
        """Tell ``ownership`` of each rebalance; a feed that is not partitioned
        never calls it (its one consumer owns everything)."""
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

    def watch(self, ownership: Ownership) -> None:
        return None  # one consumer follows the whole store

    async def close(self) -> None:
        return None
