"""An ``EventStore`` decorator that counts what is recorded and what is refused.

Wrapping the port keeps metrics out of every caller: whatever appends (an agency
service, the notifier's audit trail) is counted the same way.
"""

from collections.abc import AsyncIterator, Mapping, Sequence

from events.records import RecordedEvent, Submission
from infra.metrics import Metrics
from infra.store.port import (
    AppendResult,
    ConcurrencyError,
    EventStore,
    IdempotencyConflict,
    StoreUnavailable,
)


class MeteredEventStore:
    def __init__(self, store: EventStore, metrics: Metrics) -> None:
        self._store = store
        self._metrics = metrics

    async def append(
        self,
        submissions: Sequence[Submission],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        agency = submissions[0].agency if submissions else "none"
        try:
            result = await self._store.append(submissions, expected_versions=expected_versions)
        except (IdempotencyConflict, ConcurrencyError):
            self._metrics.ingest_failed(agency, "conflict")
            raise
        except StoreUnavailable:
            self._metrics.ingest_failed(agency, "unavailable")
            raise
        counts: dict[tuple[str, str], int] = {}
        for event, created in zip(result.events, result.created, strict=True):
            if created:
                key = (event.agency, event.type)
                counts[key] = counts.get(key, 0) + 1
        for (event_agency, event_type), n in counts.items():  # a batch: one update a type
            self._metrics.ingested(event_agency, event_type, n)
        return result

    async def get(self, event_id: str) -> RecordedEvent | None:
        return await self._store.get(event_id)

    async def read_case(self, case_id: str, from_version: int = 1) -> list[RecordedEvent]:
        return await self._store.read_case(case_id, from_version)

    async def read_all(self, from_position: int = 1, limit: int = 1000) -> list[RecordedEvent]:
        return await self._store.read_all(from_position, limit)

    async def head_position(self) -> int:
        return await self._store.head_position()

    def subscribe(self, from_position: int = 1) -> AsyncIterator[RecordedEvent]:
        return self._store.subscribe(from_position)

    async def close(self) -> None:
        await self._store.close()
