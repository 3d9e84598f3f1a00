"""The live set of case states, kept current one event at a time.

The only place the service touches the domain fold, so live operation, rebuild
and replay all go through the same functions.

It is also where one case's fault stops: if folding or evaluating a case raises,
that case is set aside as degraded (``DegradedCase``) and every other case, and
start-up, carry on. A degraded case keeps its events (to count them and to drop
redeliveries) but shows no picture and raises no findings until the projection
is restarted with a fold that can take them.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from events.findings import Finding
from events.records import RecordedEvent
from services.projection.domain.evaluate import changed_findings, evaluate, next_deadline
from services.projection.domain.fold import (
    collector_paused,
    evolve,
    fold,
    fold_into,
    in_order,
    initial_state,
)
from services.projection.domain.identity import Linker
from services.projection.domain.policy import RulePolicy
from services.projection.domain.state import CaseState
from services.projection.readmodel import LoadedCase

T = TypeVar("T")
Stage = Literal["fold", "evaluate"]


@dataclass(slots=True)
class DegradedCase:
    """Why a case shows nothing: the kind of error and the event that brought it
    about, never the error's message (it may quote what the event holds)."""

    case_id: str
    stage: Stage
    error: str
    event_id: str | None
    position: int | None
    events: dict[str, RecordedEvent] = field(repr=False)
    """Every event of the case, by id, as recorded."""

    @classmethod
    def found(
        cls,
        case_id: str,
        stage: Stage,
        error: Exception,
        culprit: RecordedEvent | None,
        events: dict[str, RecordedEvent],
    ) -> "DegradedCase":
        """The case set aside, blaming ``culprit`` (``first_failing``) if there is one."""
        return cls(
            case_id=case_id,
            stage=stage,
            error=type(error).__name__,
            event_id=None if culprit is None else culprit.event_id,
            position=None if culprit is None else culprit.position,
            events=events,
        )

    def cause(self) -> str:
        """What an operator can act on: "its fold raised KeyError at event e-7 (position 7)"."""
        where = f" at event {self.event_id} (position {self.position})" if self.event_id else ""
        return f"its {self.stage} raised {self.error}{where}"

    def hold(self, event: RecordedEvent) -> bool:
        """Keep a later event of the case; False if it is a redelivery."""
        if event.event_id in self.events:
            return False
        self.events[event.event_id] = event
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "error": self.error,
            "event_id": self.event_id,
            "position": self.position,
        }


class CaseUnavailable(Exception):
    """The case is degraded: its picture cannot be shown."""

    def __init__(self, degraded: DegradedCase) -> None:
        super().__init__(f"case {degraded.case_id} is degraded")
        self.degraded = degraded


@dataclass(slots=True)
class CachedCase:
    """A case in the cache: its state, the status last announced for each of its
    findings, whether it changed since its snapshot was written, and the next
    deadline the read model holds for it."""

    state: CaseState
    announced: dict[str, str] = field(default_factory=dict)
    dirty: bool = False
    due: datetime | None = None
    written: dict[str, int] | None = None
    """The ``hash`` of each finding as last written to the model; None: not known
    (rewrite all). A hash, not the finding: a cache of 10,000 cases would hold
    about 150 MB of findings only to compare them (a collision, one in 2**64,
    would leave one row a write behind)."""


class CaseBook:
    """The hot cases, least recently used first out once ``capacity`` is passed
    (None: no bound, for a rebuild or a replay). A case evicted while dirty is
    handed to whoever drains ``take_evicted`` (the service writes its snapshot)."""

    def __init__(self, policy: RulePolicy, capacity: int | None = None) -> None:
        self.policy = policy
        self.capacity = capacity
        self._cases: OrderedDict[str, CachedCase] = OrderedDict()
        self._degraded: dict[str, DegradedCase] = {}
        self._watchers: list[Callable[[DegradedCase], None]] = []
        self._evicted: list[tuple[str, CachedCase]] = []

    def __contains__(self, case_id: str) -> bool:
        return case_id in self._cases or case_id in self._degraded

    def __len__(self) -> int:
        return len(self._cases) + len(self._degraded)

    def case_ids(self) -> Iterator[str]:
        """The cached cases, a snapshot: reading a case may set it aside meanwhile."""
        return iter([*self._cases, *self._degraded])

    def state(self, case_id: str) -> CaseState | None:
        cached = self._cases.get(case_id)
        return None if cached is None else cached.state

    def cached(self, case_id: str) -> CachedCase | None:
        """The case if cached, marked as just used."""
        cached = self._cases.get(case_id)
        if cached is not None:
            self._cases.move_to_end(case_id)
        return cached

    def dirty(self) -> list[tuple[str, CachedCase]]:
        """Cached cases changed since their snapshot, marked clean."""
        found = [(case_id, cached) for case_id, cached in self._cases.items() if cached.dirty]
        for _, cached in found:
            cached.dirty = False
        return found

    def evict(self, case_ids: Iterable[str]) -> None:
        """Forget cases another projection member owns now; the caller has written
        their snapshots first."""
        for case_id in case_ids:
            self._cases.pop(case_id, None)
            self._degraded.pop(case_id, None)

    def take_evicted(self) -> list[tuple[str, CachedCase]]:
        """Cases evicted while dirty since the last call: their snapshots are due."""
        evicted, self._evicted = self._evicted, []
        return evicted

    def degraded(self) -> Mapping[str, DegradedCase]:
        return self._degraded

    def watch(self, watcher: Callable[[DegradedCase], None]) -> None:
        """Call ``watcher`` each time a case becomes degraded (to log it, count it)."""
        self._watchers.append(watcher)

    def admit(self, loaded: LoadedCase, members: frozenset[str] = frozenset()) -> None:
        """A (joint) case read back from the read model: folded from its events
        (``members``: the cases joined in it, whose events are all there)."""
        if loaded.case_id in self:
            return
        if not loaded.later:
            return  # unknown, or degraded with nothing to refold: listed from the model only
        self._load_case(loaded.case_id, loaded.later, None, members)
        cached = self._cases.get(loaded.case_id)
        if cached is not None:
            cached.announced = loaded.announced
            cached.dirty = bool(loaded.later)

    def apply(
        self,
        event: RecordedEvent,
        joint_id: str | None = None,
        members: frozenset[str] = frozenset(),
    ) -> bool:
        """Fold one event into its joint case (``joint_id``, default its own case;
        the fold refolds if it was recorded late); False if the case already had it
        (a redelivery). ``members`` are the joint case's, should it be new. A case
        not cached starts empty: the service loads it from the read model first."""
        key = joint_id or event.case_id
        held = self._degraded.get(key)
        if held is not None:
            return held.hold(event)
        cached = self.cached(key)
        state = initial_state(key, self.policy, members) if cached is None else cached.state
        if event.event_id in state.by_id:
            return False
        try:
            self._put(key, evolve(state, event), cached)
        except Exception as exc:  # set aside, logged and counted by the watchers
            self._degrade(key, "fold", exc, [*state.events, event], _folded)
        return True

    def release(self, joint_id: str) -> tuple[list[RecordedEvent], dict[str, str]]:
        """Take a joint case out of the book, with its events and announced
        statuses: a link joined it to another or split it (``regroup`` then folds
        the new joint cases). Nothing if it was not cached."""
        held = self._degraded.pop(joint_id, None)
        if held is not None:
            return list(held.events.values()), {}
        cached = self._cases.pop(joint_id, None)
        return ([], {}) if cached is None else (cached.state.events, cached.announced)

    def regroup(
        self,
        joint_id: str,
        members: frozenset[str],
        events: list[RecordedEvent],
        announced: Mapping[str, str],
    ) -> None:
        """Fold a joint case afresh from every event of its ``members``; it keeps
        the statuses announced for findings of the cases it joins (finding ids
        do not change with the joint case)."""
        self.release(joint_id)
        if not events:
            return
        with collector_paused():
            self._load_case(joint_id, events, None, members)
        cached = self._cases.get(joint_id)
        if cached is not None:
            cached.announced = dict(announced)

    def _put(self, case_id: str, state: CaseState, cached: CachedCase | None) -> None:
        if cached is None:
            cached = self._cases[case_id] = CachedCase(state)
            self._shrink()
        cached.state = state
        cached.dirty = True

    def _shrink(self) -> None:
        while self.capacity is not None and len(self._cases) > self.capacity:
            case_id, cached = self._cases.popitem(last=False)
            if cached.dirty:
                self._evicted.append((case_id, cached))

    def load(self, events: Iterable[RecordedEvent], linker: Linker | None = None) -> None:
        """Rebuild and replay: group by joint case (by case if no ``linker``), then
        fold each once, in order.

        A rebuild loads page after page: a case already in the book takes the new
        events into its state (``fold_into``) rather than being refolded."""
        with collector_paused():
            by_case: dict[str, list[RecordedEvent]] = {}
            joint: dict[str, str] = {}  # case -> joint case, looked up once per case
            for event in events:
                key = joint.get(event.case_id)
                if key is None:
                    key = joint[event.case_id] = (
                        event.case_id if linker is None else linker.joint_id(event.case_id)
                    )
                by_case.setdefault(key, []).append(event)
            for case_id in list(by_case):
                case_events = by_case.pop(case_id)  # freed as folded: the next case reuses it
                members = frozenset() if linker is None else linker.members(case_id)
                self._load_case(case_id, case_events, self.state(case_id), members)

    def _load_case(
        self,
        case_id: str,
        case_events: list[RecordedEvent],
        known: CaseState | None,
        members: frozenset[str] = frozenset(),
    ) -> None:
        held = self._degraded.get(case_id)
        if held is not None:
            for event in case_events:
                held.hold(event)
            return
        try:
            state = (
                fold(case_events, self.policy, case_id=case_id, members=members)
                if known is None
                else fold_into(known, case_events)
            )
        except Exception as exc:  # set aside, logged and counted by the watchers
            before = [] if known is None else known.events
            self._degrade(case_id, "fold", exc, [*before, *case_events], _folded)
            return
        self._put(case_id, state, self.cached(case_id))

    def read(self, case_id: str, compute: Callable[[CaseState], T]) -> T:
        """``compute`` of the case's state; ``CaseUnavailable`` if the case is
        degraded, or becomes so because ``compute`` raised. ``KeyError`` if unknown."""
        held = self._degraded.get(case_id)
        if held is not None:
            raise CaseUnavailable(held)
        state = self._cases[case_id].state
        try:
            return compute(state)
        except Exception as exc:  # set aside, logged and counted by the watchers
            raise CaseUnavailable(
                self._degrade(case_id, "evaluate", exc, state.events, compute)
            ) from None

    def findings(self, case_id: str, at: datetime) -> list[Finding]:
        """The case's findings at ``at``; none for an unknown or degraded case."""
        return self._quietly(case_id, lambda state: evaluate(state, at), [])

    def changed(self, case_id: str, at: datetime, announced: Mapping[str, str]) -> list[Finding]:
        """Findings whose status at ``at`` is not the one ``announced``."""
        return self._quietly(case_id, lambda state: changed_findings(state, at, announced), [])

    def next_deadline(self, case_id: str, after: datetime) -> datetime | None:
        return self._quietly(case_id, lambda state: next_deadline(state, after), None)

    def _quietly(self, case_id: str, compute: Callable[[CaseState], T], default: T) -> T:
        if case_id not in self._cases:
            return default
        try:
            return self.read(case_id, compute)
        except CaseUnavailable:
            return default

    def _degrade(
        self,
        case_id: str,
        stage: Stage,
        error: Exception,
        events: Iterable[RecordedEvent],
        compute: Callable[[CaseState], object],
    ) -> DegradedCase:
        self._cases.pop(case_id, None)
        by_id = {event.event_id: event for event in events}
        culprit = first_failing(list(by_id.values()), self.policy, case_id, compute)
        degraded = DegradedCase.found(case_id, stage, error, culprit, by_id)
        self._degraded[case_id] = degraded
        for watcher in self._watchers:
            watcher(degraded)
        return degraded


def _folded(state: CaseState) -> CaseState:
    return state


def first_failing(
    events: list[RecordedEvent],
    policy: RulePolicy,
    case_id: str,
    compute: Callable[[CaseState], object] = _folded,
) -> RecordedEvent | None:
    """The event whose arrival makes ``compute`` of the fold raise: the last of
    the shortest failing prefix, in fold order, found by bisection (a fault, once
    in a case, stays). None if even the whole case does not fail again."""
    ordered = in_order(events)
    members = frozenset(event.case_id for event in ordered)  # a joint case's, if joined

    def fails(count: int) -> bool:
        try:
            compute(fold(ordered[:count], policy, case_id=case_id, members=members))
        except Exception:  # probing for the fault is the point
            return True
        return False

    if not ordered or not fails(len(ordered)):
        return None
    low, high = 0, len(ordered)  # fails(high); not fails(low) (an empty case folds)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if fails(middle) else (middle, high)
    return ordered[high - 1]
