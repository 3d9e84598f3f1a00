"""What a projection may legitimately announce while a case's history streams in.

A live projection announces the findings of each prefix of a case's history
(in the order its partition delivers it) as it arrives. Any such announcement is
legitimate; one from no prefix (say, the later half of a history without the
first) is spurious, and a finding of the whole history must be announced.
"""

from collections.abc import Iterable
from datetime import datetime

from events.records import RecordedEvent
from services.projection.domain import evaluate, fold
from services.projection.domain.rules import default_policy

Announcement = tuple[str, str]
"""(finding id, status)."""


def by_case(events: Iterable[RecordedEvent]) -> dict[str, list[RecordedEvent]]:
    cases: dict[str, list[RecordedEvent]] = {}
    for event in sorted(events, key=lambda e: e.position):
        cases.setdefault(event.case_id, []).append(event)
    return cases


def prefix_findings(events: Iterable[RecordedEvent], at: datetime) -> set[Announcement]:
    """Every (finding, status) of any prefix of any case's history, evaluated at ``at``."""
    policy = default_policy()
    seen: set[Announcement] = set()
    for case_id, history in by_case(events).items():
        for count in range(1, len(history) + 1):
            state = fold(history[:count], policy, case_id=case_id)
            seen |= {(f.finding_id, f.status) for f in evaluate(state, at)}
    return seen


def final_findings(events: Iterable[RecordedEvent], at: datetime) -> set[Announcement]:
    """The (finding, status) of each case's whole history at ``at``."""
    policy = default_policy()
    return {
        (f.finding_id, f.status)
        for case_id, history in by_case(events).items()
        for f in evaluate(fold(history, policy, case_id=case_id), at)
    }
