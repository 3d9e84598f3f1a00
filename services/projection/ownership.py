"""A projection member of a consumer group: which cases it owns, and reads of any case.

Kafka shares the topic's partitions among the members of a group, and the
publisher keys each record by case id, so a case lives on one partition and
one member owns it. The members share one read model (one SQLite file in WAL
mode, writers queueing on a busy timeout), which keeps each event with the
partition it came from, in the transaction that keeps the event. So:

- on revoke, a member finishes the batch in hand (its events kept, its findings
  announced, its offsets committed), writes every changed case to the model,
  and forgets the cases on those partitions: it neither times nor announces
  them any more;
- on assign, before the first record of the new partitions, it announces what
  changed while nobody owned them (a deadline that passed; events kept but never
  folded) by paging the model's due deadlines and unfolded cases of those
  partitions. Nothing else is loaded: a case comes from the model (snapshot plus
  kept events) when it is first touched.

Only the owner of a case announces its findings and fires its timers (the
model's deadline queries take the owned partitions). Reads are the model's SQL
queries on every member; the picture of a case owned elsewhere is folded on
demand from the same file and not kept, so every member answers the same.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from services.projection.casebook import CaseBook
from services.projection.domain.policy import RulePolicy
from services.projection.domain.state import CaseState
from services.projection.readmodel import LoadedCase

if TYPE_CHECKING:
    from services.projection.service import ProjectionService

log = logging.getLogger("safeguard.projection")
T = TypeVar("T")


class PartitionOwnership:
    """The ``Ownership`` a partitioned feed tells of rebalances; see the module."""

    def __init__(self, service: "ProjectionService") -> None:
        self._service = service
        service.owned = frozenset()  # nothing until the group assigns it partitions

    async def revoked(self, partitions: frozenset[int]) -> None:
        dropped = await self._service.release(partitions)
        log.info(
            "partitions revoked: %d cached cases written and dropped",
            dropped,
            extra={"revoked": sorted(partitions), "owned": sorted(self._service.owned or ())},
        )

    async def assigned(self, partitions: frozenset[int]) -> None:
        await self._service.take(partitions)
        log.info(
            "partitions assigned",
            extra={"assigned": sorted(partitions), "owned": sorted(self._service.owned or ())},
        )


async def fold_unowned(
    load: Callable[[list[str]], Awaitable[list[LoadedCase]]],
    policy: RulePolicy,
    case_id: str,
    compute: Callable[[CaseState], T],
) -> T:
    """``compute`` of a case another member owns, folded in a worker thread from
    the shared model into a book of its own (this member's cache is for its own
    cases); ``KeyError`` if unknown, ``CaseUnavailable`` if degraded."""
    loaded = await load([case_id])

    def fold() -> T:
        book = CaseBook(policy)
        for case in loaded:
            book.admit(case)
        return book.read(case_id, compute)

    return await asyncio.to_thread(fold)
