"""Moves audit events from the outbox to the event store, at least once.

Each event was stored in the outbox in the same transaction as the state
change it describes; appending it again after a crash is a no-op in the store
(same id, same content). A store outage leaves the backlog for the next pass.
"""

import asyncio
import logging

from events.records import Submission
from infra.store.port import EventStore, IdempotencyConflict, StoreError
from services.notifier.ports import Outbox

log = logging.getLogger("safeguard.notifier")
BATCH = 500


class AuditRelay:
    def __init__(self, outbox: Outbox, store: EventStore) -> None:
        self._outbox, self._store = outbox, store
        self._lock = asyncio.Lock()
        self.backlog = False
        """True after a pass that could not append everything."""

    async def flush(self) -> None:
        async with self._lock:
            self.backlog = False
            while batch := await self._outbox.pending_audit(BATCH):
                try:
                    await self._append([s for _, s in batch])
                except StoreError as e:
                    log.warning("audit append deferred: %s", e)
                    self.backlog = True
                    return
                await self._outbox.mark_audited([seq for seq, _ in batch])

    async def _append(self, batch: list[Submission]) -> None:
        try:
            await self._store.append(batch)
        except IdempotencyConflict:
            for submission in batch:  # isolate the one the stream already holds otherwise
                await self._append_one(submission)

    async def _append_one(self, submission: Submission) -> None:
        try:
            await self._store.append([submission])
        except IdempotencyConflict:
            # Only if the outbox was lost and rebuilt: the stream's first record
            # stands (history is immutable), this one is dropped, loudly.
            log.error(
                "audit event %s conflicts with the stream's record; keeping the stream's",
                submission.event_id,
                extra={"event_id": submission.event_id, "case_id": submission.case_id},
            )
