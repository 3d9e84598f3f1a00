"""The store's ``read_case`` for tests that drive a projection by hand.

Tests that call ``ProjectionService.handle`` directly have no store behind the
service, yet a store-fed projection refolds an evicted case from the store. This
stand-in records every batch handed over and answers ``read_case`` from them,
as the store would once those events were appended.
"""

from collections.abc import Sequence

from events.records import RecordedEvent
from infra.feed import FeedBatch


class StoreStandIn:
    def __init__(self) -> None:
        self.events: list[RecordedEvent] = []

    def batch(self, events: Sequence[RecordedEvent]) -> FeedBatch:
        """The batch to hand the service, recorded as appended."""
        self.events += events
        return FeedBatch(list(events))

    async def read_case(self, case_id: str) -> list[RecordedEvent]:
        return [event for event in self.events if event.case_id == case_id]
