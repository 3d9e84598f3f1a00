"""Rebuild the projection's read model from position 0 of the store.

Only the events and the checkpoint are rebuilt. The record of what was already
announced to the notifier is kept, so a rebuild announces nothing new, and the
notifier's outbox would drop a repeat anyway: a rebuild never pages anyone.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from infra.store.port import EventStore
from services.projection.casebook import CaseBook, DegradedCase
from services.projection.domain.policy import RulePolicy
from services.projection.repository import ProjectionRepository

PAGE = 10_000


@dataclass(frozen=True, slots=True)
class RebuildReport:
    events: int
    cases: int
    open_findings: int
    seconds: float
    case_ids: tuple[str, ...] = ()
    """Every case folded, for the access audit."""
    degraded: tuple[DegradedCase, ...] = ()
    """Cases whose fold or evaluation raised: counted in ``cases``, shown as degraded."""


async def rebuild(
    store: EventStore,
    repository: ProjectionRepository,
    policy: RulePolicy,
    *,
    now: datetime,
    timer: Callable[[], float],
    progress: Callable[[int], None] = lambda _: None,
) -> RebuildReport:
    started = timer()
    repository.reset_events()
    casebook = CaseBook(policy)
    position, count = 1, 0
    while events := await store.read_all(position, PAGE):
        repository.save(events)
        casebook.load(events)
        count += len(events)
        position = events[-1].position + 1
        progress(len(events))
    open_findings = sum(
        1
        for case_id in casebook.case_ids()
        for finding in casebook.findings(case_id, now)
        if finding.status == "open"
    )
    seconds = timer() - started
    degraded = tuple(casebook.degraded().values())
    return RebuildReport(
        count, len(casebook), open_findings, seconds, tuple(casebook.case_ids()), degraded
    )
