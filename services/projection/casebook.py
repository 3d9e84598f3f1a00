"""The live set of case states, kept current one event at a time.

The only place the service touches the domain fold, so live operation, rebuild
and replay all go through the same functions.
"""

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from events.records import RecordedEvent
from services.projection.domain.evaluate import changed_findings, evaluate, next_deadline
from services.projection.domain.findings import Finding
from services.projection.domain.fold import (
    as_of,
    collector_paused,
    evolve,
    fold,
    fold_into,
    initial_state,
)
from services.projection.domain.policy import RulePolicy
from services.projection.domain.state import CaseState


class CaseBook:
    def __init__(self, policy: RulePolicy) -> None:
        self.policy = policy
        self._states: dict[str, CaseState] = {}

    def __contains__(self, case_id: str) -> bool:
        return case_id in self._states

    def __len__(self) -> int:
        return len(self._states)

    def case_ids(self) -> Iterator[str]:
        return iter(self._states)

    def state(self, case_id: str) -> CaseState | None:
        return self._states.get(case_id)

    def apply(self, event: RecordedEvent) -> bool:
        """Fold one event in (the fold refolds if it was recorded late); False if
        the case already had it (a redelivery)."""
        state = self._states.get(event.case_id) or initial_state(event.case_id, self.policy)
        if event.event_id in state.by_id:
            return False
        self._states[event.case_id] = evolve(state, event)
        return True

    def load(self, events: Iterable[RecordedEvent]) -> None:
        """Start-up and rebuild: group by case, then fold each case once, in order.

        A rebuild loads page after page: a case already in the book takes the new
        events into its state (``fold_into``) rather than being refolded."""
        with collector_paused():
            by_case: dict[str, list[RecordedEvent]] = {}
            for event in events:
                by_case.setdefault(event.case_id, []).append(event)
            for case_id in list(by_case):
                case_events = by_case.pop(case_id)  # freed as folded: the next case reuses it
                known = self._states.get(case_id)
                self._states[case_id] = (
                    fold(case_events, self.policy, case_id=case_id)
                    if known is None
                    else fold_into(known, case_events)
                )

    def findings(self, case_id: str, at: datetime) -> list[Finding]:
        state = self._states.get(case_id)
        return [] if state is None else evaluate(state, at)

    def changed(self, case_id: str, at: datetime, announced: Mapping[str, str]) -> list[Finding]:
        """Findings whose status at ``at`` is not the one ``announced``."""
        state = self._states.get(case_id)
        return [] if state is None else changed_findings(state, at, announced)

    def next_deadline(self, case_id: str, after: datetime) -> datetime | None:
        state = self._states.get(case_id)
        return None if state is None else next_deadline(state, after)

    def as_of(
        self, case_id: str, at: datetime, recorded_by: datetime | None = None
    ) -> CaseState | None:
        """The case as it stood at ``at`` (and as told by ``recorded_by``)."""
        state = self._states.get(case_id)
        if state is None:
            return None
        return fold(as_of(state.events, at, recorded_by), self.policy, case_id=case_id)
