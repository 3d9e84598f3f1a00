"""What one append request does: which submissions are new, retries or duplicates.

Pure: the store looks the stored digests up and acts on the plan.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from events.records import RecordedEvent, Submission
from infra.store.port import AppendResult, IdempotencyConflict


@dataclass(slots=True)
class Plan:
    submissions: Sequence[Submission]
    digests: list[str] = field(default_factory=list)
    first: dict[str, int] = field(default_factory=dict)
    """Index of each event id's first occurrence in the batch."""

    def __post_init__(self) -> None:
        for i, sub in enumerate(self.submissions):
            digest = sub.digest()
            self.digests.append(digest)
            j = self.first.setdefault(sub.event_id, i)
            if self.digests[j] != digest:
                raise IdempotencyConflict(sub.event_id)

    def check_stored(self, digests: Mapping[str, str]) -> None:
        """``digests``: event id → digest of ids already stored (or claimed)."""
        for event_id, i in self.first.items():
            if event_id in digests and digests[event_id] != self.digests[i]:
                raise IdempotencyConflict(event_id)

    def new(self, stored: Mapping[str, object]) -> list[Submission]:
        return [self.submissions[i] for e, i in self.first.items() if e not in stored]

    def retried_cases(self, stored: Mapping[str, object]) -> set[str]:
        """Cases this request only retries: their expected version was met before."""
        new_cases = {s.case_id for s in self.new(stored)}
        return {s.case_id for s in self.submissions} - new_cases

    def result(self, records: Mapping[str, RecordedEvent], created: set[str]) -> AppendResult:
        """``records`` by event id; ``created``: the ids this request wrote."""
        events = tuple(records[s.event_id] for s in self.submissions)
        flags = tuple(
            s.event_id in created and self.first[s.event_id] == i
            for i, s in enumerate(self.submissions)
        )
        return AppendResult(events=events, created=flags)
