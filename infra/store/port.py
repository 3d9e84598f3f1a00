"""The event-store port: what every adapter (SQLite, EventStoreDB) must do.

One shared contract suite (``tests/contract``) runs against every adapter.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from events.records import RecordedEvent, Submission


class StoreError(Exception):
    """Base of every error an adapter raises; driver errors are translated to these."""


class ConcurrencyError(StoreError):
    """The case stream is not at the version the writer expected (HTTP 409)."""

    def __init__(self, case_id: str, expected: int, actual: int) -> None:
        super().__init__(f"case {case_id} is at version {actual}, expected {expected}")
        self.case_id, self.expected, self.actual = case_id, expected, actual


class IdempotencyConflict(StoreError):
    """An ``event_id`` was reused with different content (HTTP 409).

    Immutability means the first content stands; the sender must use a new id
    (or a correcting event) for new content.
    """

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} was already recorded with different content")
        self.event_id = event_id


class StoreUnavailable(StoreError):
    """The store cannot be reached or written; nothing was acknowledged (HTTP 503)."""


@dataclass(frozen=True, slots=True)
class AppendResult:
    events: tuple[RecordedEvent, ...]
    """The recorded events, in the order submitted."""
    created: tuple[bool, ...]
    """False where the submission was an identical retry of an earlier one."""

    @property
    def all_created(self) -> bool:
        return all(self.created)

    @property
    def none_created(self) -> bool:
        return not any(self.created)


class EventStore(Protocol):
    async def append(
        self,
        submissions: Sequence[Submission],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        """Store a batch atomically: all or nothing, durable before returning.

        ``expected_versions`` maps case id to the stream version the writer last
        saw (0 for a new case); a mismatch raises ``ConcurrencyError``. An
        event id already stored with the same digest returns the original
        record (``created`` False); with another digest, ``IdempotencyConflict``.
        """
        ...

    async def get(self, event_id: str) -> RecordedEvent | None:
        """One event by id, or None."""
        ...

    async def read_case(self, case_id: str, from_version: int = 1) -> list[RecordedEvent]:
        """A case stream in stream-version order."""
        ...

    async def read_all(self, from_position: int = 1, limit: int = 1000) -> list[RecordedEvent]:
        """Events with position >= ``from_position``, in position order."""
        ...

    async def head_position(self) -> int:
        """The last position recorded (0 if empty)."""
        ...

    def subscribe(self, from_position: int = 1) -> AsyncIterator[RecordedEvent]:
        """Catch up from ``from_position``, then follow live appends, forever.

        Delivers each event at least once, in position order; consumers dedupe
        by position or event id.
        """
        ...

    async def close(self) -> None: ...
