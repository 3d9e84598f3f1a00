"""The fold: ``evolve(state, event)`` one event at a time, ``fold`` a whole case.

Live operation, a rebuild from position 0 and a replay as of any moment all run
this code. Events are applied in the order they occurred (``occurred_at``, then
``position``). An event that arrives late — recorded after something that
occurred later — is inserted in its place and the case is refolded, so the
result never depends on arrival order. Redelivered events (same ``event_id``)
are ignored.

``evolve`` updates the state in place and returns it (a refold returns a new
state): a rebuild folds millions of events and cannot copy a case per event.
Always use the returned state.
"""

import gc
from bisect import insort
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import pairwise

from events.records import RecordedEvent
from services.projection.domain import knowledge
from services.projection.domain.policy import RulePolicy
from services.projection.domain.rules import RULE_HANDLERS
from services.projection.domain.state import SAFEGUARD_TYPES as SAFEGUARD_TYPES
from services.projection.domain.state import CaseState, order_key

Handler = Callable[[CaseState, RecordedEvent], None]
_DISPATCH: dict[str, tuple[Handler, ...]] = {
    t: ((knowledge.HANDLERS[t],) if t in knowledge.HANDLERS else ()) + RULE_HANDLERS.get(t, ())
    for t in {*knowledge.HANDLERS, *RULE_HANDLERS}
}
"""Knowledge first (who now knows what), then the rules that read it."""


def initial_state(
    case_id: str, policy: RulePolicy, members: frozenset[str] = frozenset()
) -> CaseState:
    return CaseState(case_id=case_id, policy=policy, members=members)


def evolve(state: CaseState, event: RecordedEvent) -> CaseState:
    """Apply one event of this case; see the module docstring for late arrivals."""
    if not state.holds(event):
        raise ValueError(f"event {event.event_id} is for case {event.case_id}, not {state.case_id}")
    if event.event_id in state.by_id:
        return state
    if state.needs_refold(event):
        events = list(state.events)
        insort(events, event, key=order_key)
        return _replay(initial_state(state.case_id, state.policy, state.members), events)
    _apply(state, event)
    return state


def fold(
    events: Iterable[RecordedEvent],
    policy: RulePolicy,
    *,
    case_id: str | None = None,
    members: frozenset[str] = frozenset(),
) -> CaseState:
    """Fold one case's events (and its joined ``members``'), in any order, into its state."""
    ordered = in_order(events)
    if case_id is None and not ordered:
        raise ValueError("fold of no events needs a case_id")
    state = initial_state(case_id or ordered[0].case_id, policy, members)
    seen = state.by_id
    for event in ordered:
        if not state.holds(event):
            raise ValueError(f"event {event.event_id} is for case {event.case_id}")
        if event.event_id not in seen:
            _apply(state, event)
    return state


def fold_into(state: CaseState, events: Iterable[RecordedEvent]) -> CaseState:
    """``state`` with more events of its case: what ``fold`` of all of them gives.

    A rebuild reads the store a page at a time, and refolding every case a page
    touches would make it quadratic in the number of pages. New events that all
    come after the state's last (the usual case) are applied to it in place, as
    ``evolve`` does; otherwise the case is refolded from all its events.
    """
    ordered = in_order(events)
    for event in ordered:
        if not state.holds(event):
            raise ValueError(f"event {event.event_id} is for case {event.case_id}")
    fresh = [event for event in ordered if event.event_id not in state.by_id]
    last = state.last
    if fresh and last is not None and order_key(fresh[0]) <= order_key(last):
        return fold(
            [*ordered, *state.events], state.policy, case_id=state.case_id, members=state.members
        )
    for event in fresh:
        if event.event_id not in state.by_id:  # a page may hold an event twice
            _apply(state, event)
    return state


def fold_cases(events: Iterable[RecordedEvent], policy: RulePolicy) -> dict[str, CaseState]:
    """A rebuild: group a stream by case, then fold each case once, in order."""
    by_case: dict[str, list[RecordedEvent]] = {}
    for event in events:
        by_case.setdefault(event.case_id, []).append(event)
    with collector_paused():
        return {case_id: fold(evs, policy) for case_id, evs in by_case.items()}


def as_of(
    events: Iterable[RecordedEvent], at: datetime, recorded_by: datetime | None = None
) -> list[RecordedEvent]:
    """Events that had occurred by ``at`` (and, if given, been recorded by ``recorded_by``).

    ``recorded_by`` answers "what could the system have shown at that moment";
    without it a replay also shows what was recorded later about the past.
    """
    return [
        e
        for e in events
        if e.occurred_at <= at and (recorded_by is None or e.recorded_at <= recorded_by)
    ]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector for a bulk fold (a rebuild).

    The fold makes no reference cycles — reference counting frees everything it
    drops — but it allocates many long-lived objects, and the collector keeps
    re-scanning every event already in memory: about a third of a rebuild's
    time. Pausing it per case does not help (it catches up between cases), so
    wrap the whole rebuild. The previous setting is always restored.

    On resuming, what was allocated meanwhile is aged straight into the oldest
    generation (see ``_age_young_objects``) instead of being left young.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _age_young_objects()
            gc.enable()


def _age_young_objects() -> None:
    """Move every young object to the oldest generation, without scanning any.

    A rebuilt picture is long-lived and all reachable, so the young collection
    that would run at the first allocation after a pause only walks it all to
    promote it — about 1.3 µs an event, a fifth of a rebuild — and the middle
    generation then walks it again. ``freeze`` then ``unfreeze`` moves the lists
    in constant time; the objects stay collectable by the next full collection.
    Skipped if anything else has frozen objects: ``unfreeze`` would thaw them too.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def in_order(events: Iterable[RecordedEvent]) -> list[RecordedEvent]:
    """``events`` in ``order_key`` order, not sorted again if they already are.

    One case's events from the store almost always are (they are recorded as they
    happen), and checking is cheaper than building a sort key for every event.
    """
    listed = list(events)
    for before, after in pairwise(listed):
        if after.occurred_at <= before.occurred_at and order_key(after) < order_key(before):
            return sorted(listed, key=order_key)
    return listed


def _replay(state: CaseState, ordered: list[RecordedEvent]) -> CaseState:
    for event in ordered:
        _apply(state, event)
    return state


def _apply(state: CaseState, event: RecordedEvent) -> None:
    state.events.append(event)
    state.by_id[event.event_id] = event
    kind = event.type
    if kind in SAFEGUARD_TYPES:
        if kind == "finding.resolved":
            state.resolutions.setdefault(str(event.data["finding_id"]), event)
        return
    knowledge.record_author(state, event)
    for handler in _DISPATCH.get(kind, ()):
        handler(state, event)
