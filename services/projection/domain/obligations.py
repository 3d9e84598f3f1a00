"""Opening obligations when a rule fires, and meeting them when the step happens."""

from collections.abc import Iterable
from datetime import datetime

from events.records import RecordedEvent
from events.sharing import Sharing
from services.projection.domain.policy import RuleTerms
from services.projection.domain.state import CaseState, Obligation, WaitKey


def is_historical(event: RecordedEvent) -> bool:
    """Bulk-imported history: it can raise findings but must page nobody."""
    flag = event.metadata.get("import") if event.metadata else None
    return flag == "historical" or flag is True


def open_obligation(
    state: CaseState,
    rule: str,
    trigger: RecordedEvent,
    *,
    children: Iterable[str],
    concerns: Iterable[str],
    qualifier: str = "",
    to_agency: str | None = None,
    triggers: tuple[str, ...] | None = None,
    due_at: datetime | None = None,
    deadline_type: str | None = None,
    detail: str = "",
    waits_for: Iterable[WaitKey] = (),
) -> Obligation | None:
    """Open an obligation of ``rule`` (if enabled); ``None`` when the rule is off.

    The deadline is the rule's (or, for ``deadline_type``, that event type's)
    duration after the trigger occurred; a rule without one is an instant
    violation, due the moment its trigger occurred.
    """
    terms = state.policy.terms[rule]
    if not terms.enabled:
        return None
    if due_at is None:
        due_at = _due(state, terms, trigger, deadline_type)
    ob = Obligation(  # positional, in field order: keywords cost a rebuild several percent
        rule,
        qualifier,
        trigger,
        triggers or None,
        _shared(children),
        due_at,
        terms.severity,
        _shared(concerns),
        bool(trigger.metadata) and _historical(state, trigger, triggers),
        to_agency,
        detail,
    )
    state.obligations.append(ob)
    waiting = state.waiting
    for key in waits_for:
        queue = waiting.get(key)
        if queue is None:
            waiting[key] = ob
        elif isinstance(queue, Obligation):
            waiting[key] = [queue, ob]
        else:
            queue.append(ob)
    return ob


_REFS = Sharing()


def _shared(refs: Iterable[str]) -> tuple[str, ...]:
    """``tuple(refs)``, the same tuple for equal values: a rebuild keeps millions
    of obligations, but a case has few children and there are few agencies."""
    key = tuple(refs)
    return _REFS.one(key, key)


def _due(
    state: CaseState, terms: RuleTerms, trigger: RecordedEvent, deadline_type: str | None
) -> datetime:
    duration = terms.deadlines_by_type.get(deadline_type or trigger.type) or terms.deadline
    if duration is None:
        return trigger.occurred_at
    return state.policy.calendar.add(trigger.occurred_at, duration)


def meet(state: CaseState, key: WaitKey, at: datetime, event_id: str) -> None:
    """Every obligation waiting on ``key`` is met at ``at`` by ``event_id``."""
    waiting = state.waiting.pop(key, None)
    if isinstance(waiting, Obligation):
        settle(waiting, at, event_id)
    elif waiting:
        for ob in waiting:
            settle(ob, at, event_id)


def settle(ob: Obligation, at: datetime, event_id: str) -> None:
    if ob.met_at is None:
        ob.met_at = at
        ob.met_by_event_id = event_id


def _historical(state: CaseState, trigger: RecordedEvent, triggers: tuple[str, ...] | None) -> bool:
    if triggers is None:
        return is_historical(trigger)
    return all(is_historical(state.by_id[i]) for i in triggers if i in state.by_id)
