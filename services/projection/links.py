"""The case book seen through the linker: each event folds into its joint case,
and an event that joins or splits cases regroups the joint cases it changed.

The service calls ``load`` and ``apply`` where it would call the case book's, and
the API reads through ``joint_id`` and ``state_as_of``; the linking itself is
the pure ``domain.identity.Linker``.
"""

from collections.abc import Iterable
from datetime import datetime

from events.records import RecordedEvent
from services.projection.casebook import CaseBook
from services.projection.domain.fold import as_of as occurred_by
from services.projection.domain.fold import fold
from services.projection.domain.identity import Linker, Regrouping, about_identity
from services.projection.domain.state import CaseState


class LinkedCases:
    def __init__(self, casebook: CaseBook, linker: Linker | None = None) -> None:
        self.cases = casebook
        self.linker = linker or Linker()
        self._identity: dict[str, RecordedEvent] = {}
        """Events that can change links, by id, in recording order: replay as of a
        moment links the cases as they were linked then."""

    def joint_id(self, case_id: str) -> str:
        return self.linker.joint_id(case_id)

    def load(self, events: Iterable[RecordedEvent]) -> None:
        """Start-up: link first (cheap), then fold each joint case once."""
        listed = list(events)
        observe = self.observe
        for event in listed:
            observe(event)
        self.cases.load(listed, self.linker)

    def apply(self, events: Iterable[RecordedEvent]) -> tuple[list[RecordedEvent], set[str]]:
        """Fold each event into its joint case: the fresh events (not redelivered)
        and every joint case touched, including those a link retired."""
        fresh: list[RecordedEvent] = []
        touched: set[str] = set()
        for event in events:
            change = self.observe(event)
            joint_id = self.linker.joint_id(event.case_id)
            if change is not None:
                touched |= self._regroup(change, event)
            elif not self.cases.apply(event, joint_id, self.linker.members(joint_id)):
                continue  # a redelivery
            fresh.append(event)
            touched.add(joint_id)
        return fresh, touched

    def state_as_of(
        self, case_id: str, at: datetime, recorded_by: datetime | None = None
    ) -> CaseState:
        """The joint case of ``case_id`` as it stood at ``at``: linked as it was
        then, each member's events as they had occurred (and been recorded) by then."""
        then = Linker()
        for event in occurred_by(self._identity.values(), at, recorded_by):
            then.observe(event)
        members = then.members(case_id)
        events = [
            event
            for member in members
            for event in self._events_of(member)
            if event.occurred_at <= at and (recorded_by is None or event.recorded_at <= recorded_by)
        ]
        return fold(events, self.cases.policy, case_id=self.joint_id(case_id), members=members)

    def _events_of(self, case_id: str) -> list[RecordedEvent]:
        state = self.cases.state(self.joint_id(case_id))
        return [] if state is None else [e for e in state.events if e.case_id == case_id]

    def observe(self, event: RecordedEvent) -> Regrouping | None:
        """Take ``event`` into the linker; the joint cases it changed, if any."""
        if about_identity(event):
            self._identity.setdefault(event.event_id, event)
        return self.linker.observe(event)

    def _regroup(self, change: Regrouping, event: RecordedEvent) -> set[str]:
        events, announced = [event], dict[str, str]()
        for retired in change.retired:
            held, said = self.cases.release(retired)
            events += [e for e in held if e.event_id != event.event_id]
            announced.update(said)
        for joint_id, members in change.groups.items():
            mine = [e for e in events if e.case_id in members]
            self.cases.regroup(joint_id, members, mine, announced)
        return {*change.retired, *change.groups}
