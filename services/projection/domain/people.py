"""Who an event names: the children and adults it makes known to the case."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from events.records import RecordedEvent
from services.projection.domain.state import CaseState

_CHILD_LISTS = ("children", "children_present", "related_children", "children_considered")
_CHILD_FIELDS: dict[str, tuple[str, ...]] = {
    "household.recorded": ("children",),
    "incident.reported": ("children_present",),
    "person.arrested": ("related_children",),
    "strategy_discussion.held": ("children_considered",),
    "agreement.made": ("children",),
    "police_protection.invoked": ("children",),
    "police_protection.ended": ("children",),
    "conference.held": ("children_considered",),
    "legal_planning_meeting.held": ("children_considered",),
    "police_action.taken": ("related_children",),
    "household_member.reported": ("children",),
    **dict.fromkeys(
        (
            *("plan.started", "plan.ended", "placement.ended", "home_visit.made"),
            *("parental_responsibility.recorded", "parental_responsibility_holder.informed"),
            "serious_incident.notified",
        ),
        (),
    ),
}
"""Child-list fields per catalog type; unknown types are searched for every such field."""

AdultsOf = Callable[[Mapping[str, Any]], Sequence[str]]


def _household(data: Mapping[str, Any]) -> Sequence[str]:
    return [a["person"] for a in data.get("adults") or ()]


def _listed(data: Mapping[str, Any]) -> Sequence[str]:
    return data.get("adults") or ()


def _person(data: Mapping[str, Any]) -> Sequence[str]:
    who = data.get("person")
    return (who,) if who else ()


def _perpetrator(data: Mapping[str, Any]) -> Sequence[str]:
    who = data.get("alleged_perpetrator")
    return (who,) if who else ()


def _agreement(data: Mapping[str, Any]) -> Sequence[str]:
    protective = [a["person"] for a in data.get("protective_adults") or ()]
    return [*(data.get("signed_by") or ()), *protective]


def _brought_by(data: Mapping[str, Any]) -> Sequence[str]:
    who = data.get("brought_by")
    return (who,) if who else ()


def _returned_to(data: Mapping[str, Any]) -> Sequence[str]:
    who = data.get("returned_to")
    return (who,) if who else ()


def _holders(data: Mapping[str, Any]) -> Sequence[str]:
    return [h["person"] for h in data.get("holders") or ()]


_ADULTS: dict[str, AdultsOf] = {
    "household.recorded": _household,
    "incident.reported": _listed,
    "person.arrested": _person,
    "person.released": _person,
    "disclosure.made": _perpetrator,
    "agreement.made": _agreement,
    "agreement.adult_confirmed": _person,
    "agreement.party_refused": _person,
    "medical.attended": _brought_by,
    "police_action.taken": _person,
    "parental_responsibility_holder.informed": _person,
    "household_member.reported": _person,
    "placement.ended": _returned_to,
    "parental_responsibility.recorded": _holders,
}

ADULT_TYPES = frozenset(_ADULTS)


def children_of(event: RecordedEvent) -> Sequence[str]:
    """The envelope's children plus every child field of the payload, first seen first.

    Hot path of every rebuild: a single source is returned as it is (refs within
    one list are unique by contract), so callers must not mutate the result.
    """
    data = event.data
    found: Sequence[str] = event.children
    sources = 1 if found else 0
    child = data.get("child")
    if child:
        found = (*found, child)
        sources += 1
    for key in _CHILD_FIELDS.get(event.type, _CHILD_LISTS):
        more = data.get(key)
        if more:
            found = (*found, *more) if sources else more
            sources += 1
    return tuple(dict.fromkeys(found)) if sources > 1 else found


def adults_of(event: RecordedEvent) -> Sequence[str]:
    """The adults the payload names, first named first; a person named twice (say,
    signatory and protective adult) appears twice. Callers must not mutate it.

    Hot path of every rebuild, and its only caller records knowledge, where a
    repeat is a no-op: removing repeats would cost more than it saves.
    """
    extract = _ADULTS.get(event.type)
    return () if extract is None else extract(event.data)


def event_children(state: CaseState, event: RecordedEvent) -> list[str]:
    """The children an event concerns; for agreement events, the agreement's children first."""
    found = children_of(event)
    agreement_id = event.data.get("agreement_id")
    agreement = state.agreement_at(agreement_id, event) if agreement_id else None
    if agreement is not None:
        return list(dict.fromkeys([*agreement.children, *found]))
    return list(found)
