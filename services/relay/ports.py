"""What the relay needs from the world: somewhere to publish, somewhere to remember."""

from collections.abc import Sequence
from typing import Protocol

from events.records import RecordedEvent


class EventPublisher(Protocol):
    async def start(self) -> None: ...

    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Return only once every event is durably accepted, in the order given
        within each case; raise if any was not, so the relay resends."""
        ...

    async def close(self) -> None: ...


class RelayCheckpoint(Protocol):
    async def load(self) -> int:
        """The last position confirmed published (0 if none)."""
        ...

    async def save(self, position: int) -> None:
        """Durably record ``position`` as published; called only after confirmation."""
        ...

    async def close(self) -> None: ...
