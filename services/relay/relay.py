"""``Relay``: store → publisher, at least once, resuming from a durable checkpoint.

The checkpoint is written only after the publisher confirmed a batch, so a crash
can resend (never skip) the batch in flight; consumers dedupe by event id.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from infra.config.stream import KafkaSettings
from infra.feed import StoreFeed
from infra.store.port import EventStore
from services.relay.ports import EventPublisher, RelayCheckpoint

log = logging.getLogger(__name__)


class Relay:
    def __init__(
        self,
        store: EventStore,
        publisher: EventPublisher,
        checkpoint: RelayCheckpoint,
        *,
        batch: int = 500,
        on_relayed: Callable[[int, int], None] | None = None,
    ) -> None:
        self._store, self._publisher, self._checkpoint = store, publisher, checkpoint
        self._batch = batch
        self._on_relayed = on_relayed or (lambda position, count: None)
        self.position = 0
        """The last position confirmed published, as of the last checkpoint."""
        self.live = False
        """True while relaying: the store read and the publisher started."""

    async def run(self) -> None:
        """Relay forever: page through the store, then follow live appends.
        Start the publisher first; any failure ends the run (resume by calling again)."""
        self.position = await self._checkpoint.load()
        log.info("relay resuming after position %d", self.position)
        feed = StoreFeed(self._store, max_batch=self._batch)
        self.live = True
        try:
            async for batch in feed.batches(self.position + 1):
                await self._publisher.publish(batch.events)
                last = batch.events[-1].position
                await self._checkpoint.save(last)
                self.position = last
                self._on_relayed(last, len(batch.events))
        finally:
            self.live = False


@contextlib.asynccontextmanager
async def running_relay(
    store: EventStore, kafka: KafkaSettings, checkpoint_path: Path, *, batch: int | None = None
) -> AsyncIterator[Relay]:
    """A relay from ``store`` to the topic in the background, stopped on exit
    (for tools and tests; ``safeguard run relay`` adds health and metrics)."""
    from infra.kafka import KafkaEventPublisher
    from services.relay.checkpoint import SQLiteRelayCheckpoint

    publisher, checkpoint = KafkaEventPublisher(kafka), SQLiteRelayCheckpoint(checkpoint_path)
    await publisher.start()
    relay = Relay(store, publisher, checkpoint, batch=batch or kafka.relay_batch)
    task = asyncio.create_task(relay.run(), name="relay")
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await publisher.close()
        await checkpoint.close()
