"""``ChainSealer``: follows the store in position order and seals each event into
the chain log, one log entry per batch.

One sealer per store: the log's expected revision makes a second one fail with
``ChainConflict`` instead of forking the chain, and ``seal_forever`` restarts
from the log's own head, so a restart (or the loser of a race) never seals an
event twice. The store is followed through ``EventStore.subscribe``; the bytes
sealed come from ``StoredBodies``, because a decoded ``RecordedEvent`` is not
the bytes the store keeps.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from infra.integrity.ports import ChainConflict, ChainLog, StoredBodies
from infra.integrity.sealing import ChainHead, seal
from infra.store.port import EventStore, StoreUnavailable

log = logging.getLogger(__name__)
BATCH = 500
LINGER_SECONDS = 1.0
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0)


class ChainSealer:
    def __init__(
        self,
        store: EventStore,
        bodies: StoredBodies,
        chain_log: ChainLog,
        *,
        batch: int = BATCH,
        linger: float = LINGER_SECONDS,
        on_sealed: Callable[[ChainHead], None] | None = None,
    ) -> None:
        """``linger``: after a live append wakes the sealer, how long to gather more
        before sealing, so a burst becomes one log entry rather than one per event."""
        self._store, self._bodies, self._log = store, bodies, chain_log
        self._batch, self._linger = batch, linger
        self._on_sealed = on_sealed or (lambda head: None)
        self.head = ChainHead()
        """The last link this sealer wrote or read back from the log."""

    async def resume(self) -> ChainHead:
        """Read where the chain ends from the log itself: the durable checkpoint."""
        self.head = await self._log.head()
        return self.head

    async def seal_available(self) -> ChainHead:
        """Seal every event stored after the head (read by ``resume``), ``batch``
        per log entry."""
        while bodies := await self._bodies.read_bodies(self.head.position + 1, self._batch):
            self.head = await self._log.append(seal(self.head, bodies), after=self.head)
            self._on_sealed(self.head)
        return self.head

    async def run(self) -> None:
        """Resume, then seal as the store grows, forever; any failure ends the run."""
        await self.resume()
        log.info("sealer resuming after position %d", self.head.position)
        while True:
            await self.seal_available()
            await _first(self._store.subscribe(self.head.position + 1))
            await asyncio.sleep(self._linger)  # gather a burst into one entry


async def seal_forever(sealer: ChainSealer) -> None:
    """Run the sealer; after a lost race or an outage, back off and resume from
    the chain's own head."""
    failures, position = 0, sealer.head.position
    while True:
        try:
            await sealer.run()
        except (ChainConflict, StoreUnavailable) as e:
            if sealer.head.position > position:
                failures, position = 0, sealer.head.position
            delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
            log.warning("sealer interrupted, resuming from the chain head in %.1fs: %s", delay, e)
            failures += 1
            await asyncio.sleep(delay)  # back-off before retrying, not a wait on a fact


async def _first(events: AsyncIterator[object]) -> None:
    """Wait for the store's next event (delivered at once if one is there already)."""
    try:
        await anext(events)
    except StopAsyncIteration:
        raise StoreUnavailable("the store ended its subscription") from None
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
