"""``Relay``: store → publisher, at least once, resuming from a durable checkpoint.

The checkpoint is written only after the publisher confirmed a batch, so a crash
can resend (never skip) the batch in flight; consumers dedupe by event id.
"""

import logging
from collections.abc import Callable

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
