"""The case book seen through the linker: each event folds into its joint case,
and an event that joins or splits cases regroups the joint cases it changed.

The service calls ``load`` and ``apply`` where it would call the case book's, and
the API reads through ``joint_id`` and ``state_as_of``; the linking itself is
the pure ``domain.identity.Linker``.

What the linker was fed is kept without the events (``LinkInputs``: cases, each
case's distinct subjects, the linking events), so a restart restores it from the
read model in memory that grows with cases and identifiers, not with events.
"""

from collections.abc import Iterable
from datetime import datetime

import orjson

from events.records import RecordedEvent
from services.projection.casebook import CaseBook
from services.projection.domain.fold import fold
from services.projection.domain.identity import (
    LINKING_TYPES,
    Linker,
    Regrouping,
    linking_subject,
)
from services.projection.domain.state import CaseState
from services.projection.readmodel import LinkInputs, SubjectSeen

Fact = SubjectSeen | RecordedEvent
"""One input of the linker, with the times of the event that brought it."""


class LinkedCases:
    def __init__(self, casebook: CaseBook, linker: Linker | None = None) -> None:
        self.cases = casebook
        self.linker = linker or Linker()
        self._facts: list[Fact] = []
        """The linker's inputs in recording order: replay as of a moment links the
        cases as they were linked then."""
        self._known: set[tuple[str, bytes]] = set()
        """(case, subject) pairs and linking event ids already among the facts."""
        self.pending = LinkInputs()
        """Inputs not yet saved with a checkpoint (``take_pending``)."""

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
        for fact in self._facts:
            late = recorded_by is not None and fact.recorded_at > recorded_by
            if fact.occurred_at > at or late:
                continue
            if isinstance(fact, SubjectSeen):
                then.identify(fact.case_id, fact.subject)
            else:
                then.observe(fact)
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
        involved = [event.case_id]
        if event.subjects or event.type in LINKING_TYPES:
            self._record(event)
            if event.type in LINKING_TYPES:
                involved.append(str(event.data["other_case_id"]))
        new = [case_id for case_id in involved if self.linker.order(case_id) is None]
        change = self.linker.observe(event)
        for case_id in dict.fromkeys(new):
            self.pending.cases.append((case_id, self.linker.order(case_id) or 0))
        return change

    def see(self, case_id: str) -> None:
        """``observe`` of an event of ``case_id`` that names no one and links nothing:
        a rebuild's first pass reads only the case id of such events."""
        if self.linker.order(case_id) is None:
            self.linker.see(case_id)
            self.pending.cases.append((case_id, self.linker.order(case_id) or 0))

    def restore(self, saved: LinkInputs) -> None:
        """Start-up: the linker as saved with the checkpoint (nothing pending)."""
        self.linker.restore(
            (case_id for case_id, _ in sorted(saved.cases, key=lambda seen: seen[1])),
            ((fact.case_id, fact.subject) for fact in saved.subjects),
            saved.decisions,
        )
        facts: list[Fact] = [*saved.subjects, *saved.decisions]
        for fact in sorted(facts, key=lambda fact: fact.position):
            self._remember(fact)

    def take_pending(self) -> LinkInputs:
        """The inputs to save with the next checkpoint; ``give_back`` if it fails."""
        taken, self.pending = self.pending, LinkInputs()
        return taken

    def give_back(self, taken: LinkInputs) -> None:
        taken.add(self.pending)
        self.pending = taken

    def _record(self, event: RecordedEvent) -> None:
        if event.type in LINKING_TYPES and self._remember(event):
            self.pending.decisions.append(event)
        for subject in event.subjects:
            seen = SubjectSeen(
                event.case_id,
                linking_subject(subject),
                event.occurred_at,
                event.recorded_at,
                event.position,
            )
            if seen.subject and self._remember(seen):
                self.pending.subjects.append(seen)

    def _remember(self, fact: Fact) -> bool:
        """Keep ``fact`` unless known; False if it was."""
        key = (
            (fact.case_id, orjson.dumps(fact.subject, option=orjson.OPT_SORT_KEYS))
            if isinstance(fact, SubjectSeen)
            else ("", fact.event_id.encode())
        )
        if key in self._known:
            return False
        self._known.add(key)
        self._facts.append(fact)
        return True

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
