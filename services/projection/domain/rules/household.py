"""``household-member-unrecorded``: one agency knows someone lives there; another omits them.

In Peter Connelly's case the mother's boyfriend and his brother lived in the home
unknown to the agencies' records; in Logan Mwangi's, the stepfather's place in the
household was known to some and not others. A household member one agency recorded
as resident (``household.recorded`` with ``resident: true``) or was told of
(``household_member.reported``) must appear in every other agency's household record
of the case within the deadline: met when that agency records them, not merely when
it is told. A record's other adults (Child K's EDT record lists grandparents who live
elsewhere) are not taken as residents: records differ in how widely they cast.
"""

from events.records import RecordedEvent
from services.projection.domain.obligations import meet, open_obligation
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.wording import Wording, agency, when

UNRECORDED = "household-member-unrecorded"
RULES = (
    Rule(
        UNRECORDED,
        "A person one agency recorded or was told of as a household member is missing from "
        "another agency's household record of the case: that agency must record them "
        "(and so consider their risk) or say why not.",
        "Haringey SCR Peter Connelly 2009 (adults in the household unknown to agencies); "
        "CPR Logan Mwangi 2023; WT2023 ch.3 (assessment of every household member)",
        "24h",
        "medium",
        ("police", "edt", "children_social_care", "health", "education"),
    ),
)


def on_household_recorded(state: CaseState, event: RecordedEvent) -> None:
    """The agency's record is now this list; the people on it are no longer missing."""
    listed = frozenset(adult["person"] for adult in event.data.get("adults") or ())
    state.households[event.agency] = (event.event_id, listed)
    for adult in event.data.get("adults") or ():
        if adult.get("resident"):
            _known(state, event, adult["person"])
        else:
            meet(
                state,
                ("household", event.agency, adult["person"]),
                event.occurred_at,
                event.event_id,
            )
    for other, people in state.household_known.items():
        if other != event.agency:
            for person, source in people.items():
                if person not in listed:
                    _missing(state, source, event, person)


def on_member_reported(state: CaseState, event: RecordedEvent) -> None:
    _known(state, event, event.data["person"])


def _known(state: CaseState, event: RecordedEvent, person: str) -> None:
    """``event``'s agency knows ``person`` is a member; any record without them has a gap."""
    meet(state, ("household", event.agency, person), event.occurred_at, event.event_id)
    known = state.household_known.setdefault(event.agency, {})
    if person in known:
        return
    known[person] = event.event_id
    for other, (record_id, listed) in state.households.items():
        if other != event.agency and person not in listed:
            _missing(state, event.event_id, state.by_id[record_id], person)


def _missing(state: CaseState, source_id: str, record: RecordedEvent, person: str) -> None:
    key = ("household", record.agency, person)
    if key in state.waiting:
        return
    source = state.by_id[source_id]
    first, last = sorted((source, record), key=lambda e: (e.occurred_at, e.position))
    open_obligation(
        state,
        UNRECORDED,
        last,
        children=(),
        concerns=(source.agency, record.agency),
        qualifier=f"{record.agency}:{person}",
        to_agency=record.agency,
        triggers=(first.event_id, last.event_id),
        detail=f"{person}|{source_id}|{record.event_id}",
        waits_for=(key,),
    )


def explain_unrecorded(ob: Obligation, state: CaseState) -> Wording:
    person, source_id, record_id = ob.detail.split("|")
    source, record = state.by_id[source_id], state.by_id[record_id]
    zone = state.policy.calendar.timezone
    return Wording(
        what=f"{agency(source.agency, start=True)} recorded {person} as part of the household "
        f"at {when(source.occurred_at, zone)}; {agency(record.agency)}'s household record "
        f"of {when(record.occurred_at, zone)} does not include them",
        missing=f"{agency(record.agency)} has not recorded {person}",
        done=f"{agency(record.agency)} recorded {person}",
    )


HANDLERS = {
    "household.recorded": (on_household_recorded,),
    "household_member.reported": (on_member_reported,),
}
EXPLAIN = {UNRECORDED: explain_unrecorded}
