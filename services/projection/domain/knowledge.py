"""Who knows what, since when: authors, and what they pass on.

An agency knows an event it recorded from the moment it occurred. It comes to
know another agency's event when that is passed to it by ``information.shared``,
by a ``request.made`` about it, or at a strategy discussion that lists it in
``information_shared`` — but only from an agency that already knew it then: a
sharer cannot pass on what it did not know. Knowing an event means knowing the
people it names.

Units: an ``information.shared`` may name the unit told (``to_unit``). One unit of
an agency knowing is then not another knowing: ``unit_knows`` answers for a unit.
Where no unit was ever named for an event, agency-wide knowledge stands for every
unit (nothing recorded says otherwise).
"""

from collections.abc import Iterable
from datetime import datetime

from events.records import RecordedEvent
from services.projection.domain.obligations import meet
from services.projection.domain.people import ADULT_TYPES, adults_of, children_of
from services.projection.domain.state import SAFEGUARD_TYPES, CaseState, Since


def record_author(state: CaseState, event: RecordedEvent) -> None:
    """The author knows its event, and the people it names, from when it occurred."""
    _know_people(state, event, event.agency, event.occurred_at)


def learn(
    state: CaseState,
    event_id: str,
    agency: str,
    since: datetime,
    by: str,
    unit: str | None = None,
) -> None:
    """``agency`` (its ``unit``, if named) comes to know ``event_id`` at ``since`` via ``by``."""
    event = state.by_id.get(event_id)
    if event is None or event.type in SAFEGUARD_TYPES:
        return
    if unit is not None or event_id in state.unit_knowledge:
        _learn_unit(state, event, agency, unit, since)
    if event.agency == agency:
        return
    told = state.knowledge.get(event_id)
    if told is None:
        state.knowledge[event_id] = (agency, since)
    elif agency in told:  # see ``CaseState.knows``
        return
    else:
        state.knowledge[event_id] = (*told, agency, since)
    meet(state, ("know", event_id, agency), since, by)
    _know_people(state, event, agency, since)


def _learn_unit(
    state: CaseState, event: RecordedEvent, agency: str, unit: str | None, since: datetime
) -> None:
    """Record unit-level knowledge; the first time, what agencies already knew agency-wide."""
    units = state.unit_knowledge.get(event.event_id)
    if units is None:
        units = state.unit_knowledge[event.event_id] = {}
        for known, at in state.known_by(event).items():
            if known != event.agency:
                units[f"{known}/*"] = at
    units.setdefault(f"{agency}/{unit or '*'}", since)


def unit_knows(
    state: CaseState, event: RecordedEvent, agency: str, unit: str | None, at: datetime
) -> bool:
    """Whether ``unit`` of ``agency`` (the agency, for None) knew ``event`` by ``at``."""
    if event.agency == agency and (unit is None or event.actor.get("unit") in (None, unit)):
        return event.occurred_at <= at
    if unit is None or event.event_id not in state.unit_knowledge:
        if event.agency == agency:
            return False
        since = state.known_by(event).get(agency)
        return since is not None and since <= at
    units = state.unit_knowledge[event.event_id]
    return any(
        (s := units.get(key)) is not None and s <= at for key in (f"{agency}/{unit}", f"{agency}/*")
    )


def pass_on(
    state: CaseState,
    via: RecordedEvent,
    about: Iterable[str],
    sources: tuple[str, ...],
    recipients: tuple[str, ...],
    unit: str | None = None,
) -> None:
    """Recipients (``unit`` of them, if named) learn each ``about`` event one of
    ``sources`` already knew."""
    for ref in about:
        event_id = str(ref)
        event = state.by_id.get(event_id)
        if event is not None and _known_to_any(state, event, sources):
            for agency in recipients:
                learn(state, event_id, agency, via.occurred_at, via.event_id, unit)


def _known_to_any(state: CaseState, event: RecordedEvent, agencies: tuple[str, ...]) -> bool:
    """``any(state.knows(event, a) for a in agencies)``, without a generator per event."""
    if event.agency in agencies:
        return True
    told = state.knowledge.get(event.event_id)
    if told is not None:
        for agency in agencies:
            if agency in told:
                return True
    return False


def on_information_shared(state: CaseState, event: RecordedEvent) -> None:
    to, unit = event.data["to_agency"], event.data.get("to_unit")
    pass_on(state, event, event.data.get("about") or (), (event.agency,), (to,), unit)
    learn(state, event.event_id, to, event.occurred_at, event.event_id, unit)


def on_request_made(state: CaseState, event: RecordedEvent) -> None:
    to = event.data["to_agency"]
    pass_on(state, event, event.data.get("about") or (), (event.agency,), (to,))
    learn(state, event.event_id, to, event.occurred_at, event.event_id)


def on_strategy_discussion(state: CaseState, event: RecordedEvent) -> None:
    present = attendee_agencies(event)
    pass_on(state, event, event.data.get("information_shared") or (), present, present)
    for agency in present:
        learn(state, event.event_id, agency, event.occurred_at, event.event_id)


def attendee_agencies(event: RecordedEvent) -> tuple[str, ...]:
    """Agencies represented at a strategy discussion (not "other"), in listed order."""
    present: dict[str, None] = {}
    for attendee in event.data.get("attendees") or ():
        agency = attendee["agency"]
        if agency != "other":
            present[agency] = None
    return tuple(present)


def _know_people(state: CaseState, event: RecordedEvent, agency: str, since: datetime) -> None:
    _know(state.children, children_of(event), agency, since)
    if event.type in ADULT_TYPES:
        _know(state.adults, adults_of(event), agency, since)


def _know(people: dict[str, Since], refs: Iterable[str], agency: str, since: datetime) -> None:
    """First knowledge wins: a person named again, or learnt again, changes nothing."""
    for ref in refs:
        known = people.get(ref)
        if known is None:
            people[ref] = {agency: since}
        elif agency not in known:
            known[agency] = since


HANDLERS = {
    "information.shared": on_information_shared,
    "request.made": on_request_made,
    "strategy_discussion.held": on_strategy_discussion,
}
