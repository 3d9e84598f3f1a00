"""A projection member of a consumer group: which cases it owns, and reads of any case.

Kafka shares the topic's partitions among the members of a group, and the
publisher keys each record by case id, so a case lives on one partition and
one member owns it. The members share one read model (the SQLite file, in WAL
mode), which records the partition of each case next to its events. So:

- on revoke, a member finishes the batch in hand (its events saved, its findings
  announced, its offsets committed), then drops those partitions' cases and
  their timers: it neither announces nor keeps them any more;
- on assign, before the first record of the new partitions, it loads their
  cases' whole history from the shared read model, announces whatever changed
  while nobody owned them (a deadline that passed, a batch its previous owner
  saved but was killed before announcing) and arms their timers.

Only the owner of a case announces its findings, and never from half a history.
``SharedReads`` answers for every case, owned here or not, from the same file,
so every member serves the same cases, pictures and findings.
"""

import asyncio
import logging

from events.records import RecordedEvent
from services.projection.casebook import CaseBook
from services.projection.repository import ProjectionRepository
from services.projection.service import ProjectionService

log = logging.getLogger("safeguard.projection")


class PartitionOwnership:
    """The ``Ownership`` a partitioned feed tells of rebalances; see the module."""

    def __init__(self, service: ProjectionService, repository: ProjectionRepository) -> None:
        self._service, self._repo = service, repository
        self.partitions: frozenset[int] = frozenset()

    async def revoked(self, partitions: frozenset[int]) -> None:
        async with self._service.turn:
            self.partitions -= partitions
            cases = await asyncio.to_thread(self._repo.cases_on, partitions)
            dropped = self._service.forget(cases)
        log.info(
            "partitions revoked: %d cases dropped",
            dropped,
            extra={"revoked": sorted(partitions), "owned": sorted(self.partitions)},
        )

    async def assigned(self, partitions: frozenset[int]) -> None:
        async with self._service.turn:
            events = await asyncio.to_thread(self._repo.load_partitions, partitions)
            self.partitions |= partitions
            await self._service.adopt(events)
        cases = len({event.case_id for event in events})
        log.info(
            "partitions assigned: %d cases loaded",
            cases,
            extra={"assigned": sorted(partitions), "owned": sorted(self.partitions)},
        )


class SharedReads:
    """Any case, folded from the shared read model: the owner's saved events are
    the same on every member, so every member answers the same."""

    def __init__(self, repository: ProjectionRepository, casebook: CaseBook) -> None:
        self._repo, self._policy = repository, casebook.policy

    async def book(self, case_id: str | None = None) -> CaseBook:
        """One case (or every case) as a ``CaseBook`` of its own."""
        events: list[RecordedEvent] = await asyncio.to_thread(self._repo.load_cases, case_id)
        book = CaseBook(self._policy)
        await asyncio.to_thread(book.load, events)
        return book
