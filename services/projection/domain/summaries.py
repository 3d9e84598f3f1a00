"""One human line per event type, for the chronology and the explanations."""

from collections.abc import Callable, Mapping
from typing import Any

from events.records import RecordedEvent
from services.projection.domain.state import CaseState
from services.projection.domain.wording import agencies, agency, join

Clause = Callable[[Mapping[str, Any], CaseState], str]


REQUESTS = {
    "welfare_check": "for a welfare check",
    "attend_interview": "to attend an interview",
    "strategy_discussion": "for a strategy discussion",
    "medical_examination": "for a medical examination",
    "information": "for information",
    "other": "for help",
}
"""How a request reads after "asked <agency>"."""


def interview_kind(kind: str) -> str:
    return "ABE" if kind == "abe" else kind.replace("_", " ")


CONFERENCES = {"initial": "an initial", "review": "a review", "transfer_in": "a transfer-in"}
NOTIFIED = {
    "national_panel": "the national Child Safeguarding Practice Review Panel",
    "ofsted": "Ofsted",
    "child_death_review": "the child death review partners",
    "safeguarding_partnership": "the safeguarding partnership",
    "coroner": "the coroner",
}


def _words(value: str) -> str:
    return value.replace("_", " ")


def _present(d: Mapping[str, Any]) -> str:
    """The agencies at a meeting, for "(police and health attending)"."""
    return agencies(a["agency"] for a in d["attendees"] if a["agency"] != "other") or "no agency"


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _kids(refs: Any) -> str:
    return join(refs or ()) or "no child named"


def _agreement(event: RecordedEvent, state: CaseState) -> str:
    agreement_id = event.data["agreement_id"]
    found = state.agreement_at(agreement_id, event)
    return f"the agreement for {_kids(found.children)}" if found else f"agreement {agreement_id}"


_ABOUT_AGREEMENT: dict[str, Callable[[RecordedEvent, CaseState], str]] = {
    "agreement.adult_confirmed": lambda e, s: (
        f"{e.data['person']} confirmed their part in {_agreement(e, s)}"
    ),
    "agreement.party_refused": lambda e, s: (
        f"{e.data['person']} refused to keep to {_agreement(e, s)}"
    ),
    "agreement.breached": lambda e, s: f"{_agreement(e, s)} was breached",
}


def _discussion(d: Mapping[str, Any], s: CaseState) -> str:
    return (
        f"{'a review' if d['kind'] == 'review' else 'an initial'} strategy discussion was "
        f"held ({_present(d)} attending) considering {_kids(d['children_considered'])}"
    )


_CLAUSES: dict[str, Clause] = {
    "household.recorded": lambda d, s: (
        f"the household was recorded: children {_kids(d['children'])}; adults "
        f"{join(a['person'] for a in d['adults']) or 'none'}"
    ),
    "incident.reported": lambda d, s: (
        f"{_a(d['kind'])} {d['kind'].replace('_', ' ')} incident was reported with "
        f"{join(d['children_present']) or 'no children'} present"
    ),
    "disclosure.made": lambda d, s: (
        f"{d['child']} disclosed harm to a {d['made_to']}"
        + (f", naming {d['alleged_perpetrator']}" if d.get("alleged_perpetrator") else "")
    ),
    "concern.observed": lambda d, s: (
        f"{_a(d['category'])} {d['category']} concern about {d['child']} was observed"
        + (" (significant harm suspected)" if d.get("significant_harm_suspected") else "")
    ),
    "person.arrested": lambda d, s: f"{d['person']} was arrested ({d['offence']})",
    "person.released": lambda d, s: (
        f"{d['person']} was released ({d['outcome'].replace('_', ' ')})"
    ),
    "interview.conducted": lambda d, s: (
        f"{d['child']} was interviewed ({interview_kind(d['kind'])})"
    ),
    "strategy_discussion.held": _discussion,
    "agreement.made": lambda d, s: f"an agreement was made for {_kids(d['children'])}",
    "child.placed": lambda d, s: (
        f"{d['child']} was placed with {d['placed_with']} (legal basis: "
        f"{d['legal_basis'].replace('_', ' ')})"
    ),
    "police_protection.invoked": lambda d, s: (
        f"police protection was taken for {_kids(d['children'])}"
    ),
    "police_protection.ended": lambda d, s: f"police protection ended for {_kids(d['children'])}",
    "medical.attended": lambda d, s: (
        f"{d['child']} was seen ({d['setting'].replace('_', ' ')}): {d['presenting_complaint']}"
    ),
    "injury.identified": lambda d, s: (
        f"an injury to {d['child']} was identified"
        + (" (non-accidental injury suspected)" if d.get("non_accidental_suspected") else "")
    ),
    "information.shared": lambda d, s: (
        f"information about {len(d['about'])} event(s) was shared with "
        f"{agency(d['to_agency'])} ({d['method'].replace('_', ' ')})"
    ),
    "request.made": lambda d, s: (
        f"{agency(d['to_agency'])} {'were' if d['to_agency'] == 'police' else 'was'} asked "
        f"{REQUESTS.get(d['kind'], 'for help')} (request {d['request_id']})"
    ),
    "request.responded": lambda d, s: f"request {d['request_id']} was {d['outcome']}",
    "alert.sent": lambda d, s: f"an alert about {d['finding_id']} reached {d['subscription']}",
    "alert.failed": lambda d, s: f"an alert about {d['finding_id']} to {d['subscription']} failed",
    "alert.acknowledged": lambda d, s: f"{d['by']} acknowledged the alert about {d['finding_id']}",
    "alert.escalated": lambda d, s: (
        f"the alert about {d['finding_id']} was escalated to {d['escalated_to']}"
    ),
    "finding.resolved": lambda d, s: f"{d['by']} resolved {d['finding_id']}: {d['reason']}",
    # catalog v2: worded only; what they mean for the rules is later work
    "conference.held": lambda d, s: (
        f"{CONFERENCES[d['kind']]} child protection conference considered "
        f"{_kids(d['children_considered'])} ({_present(d)} attending): {_words(d['decision'])}"
    ),
    "plan.started": lambda d, s: (
        f"{d['child']} was put on {_a(d['kind'])} {_words(d['kind'])} plan"
        + (f" ({_words(d['category'])})" if d.get("category") else "")
    ),
    "plan.ended": lambda d, s: f"{d['child']}'s {_words(d['kind'])} plan ended",
    "placement.ended": lambda d, s: (
        f"{d['child']}'s placement ended: "
        + (
            f"returned home{' to ' + d['returned_to'] if d.get('returned_to') else ''}"
            if d["outcome"] == "returned_home"
            else _words(d["outcome"])
        )
    ),
    "home_visit.made": lambda d, s: (
        f"{'an announced' if d['announced'] else 'an unannounced'} home visit was made: "
        + (
            f"{d['child']} was seen{' alone' if d.get('seen_alone') else ''}"
            if d["child_seen"]
            else f"{d['child']} was NOT seen"
        )
    ),
    "police_action.taken": lambda d, s: (
        f"police action about {d['person']}: {_words(d['action'])}"
        + (f" ({_words(d['charging_decision'])})" if d.get("charging_decision") else "")
    ),
    "legal_planning_meeting.held": lambda d, s: (
        f"a legal planning meeting considered {_kids(d['children_considered'])}: threshold "
        f"{'met' if d['threshold_met'] else 'not met'}, {_words(d['decision'])}"
    ),
    "parental_responsibility.recorded": lambda d, s: (
        f"parental responsibility for {d['child']} was recorded: "
        + join(f"{h['person']} ({_words(h['basis'])})" for h in d["holders"])
    ),
    "parental_responsibility_holder.informed": lambda d, s: (
        f"{d['person']}, who holds parental responsibility for {d['child']}, was informed "
        f"({_words(d['method'])})"
    ),
    "serious_incident.notified": lambda d, s: (
        f"{'the death of' if d['kind'] == 'child_death' else 'serious harm to'} {d['child']} "
        f"was notified to {NOTIFIED.get(d['notified_to'], _words(d['notified_to']))}"
    ),
    "household_member.reported": lambda d, s: (
        f"{d['person']} ({d['relationship']}) was reported by {_a(d['reported_by'])} "
        f"{_words(d['reported_by'])} to be part of the household (not verified)"
    ),
    "case.linked": lambda d, s: f"case {d['other_case_id']} was linked to this one",
    "case.unlinked": lambda d, s: f"case {d['other_case_id']} was unlinked from this one",
    "link.proposed": lambda d, s: f"case {d['other_case_id']} was proposed as the same child",
    "link.confirmed": lambda d, s: f"case {d['other_case_id']} was confirmed as the same child",
    "link.rejected": lambda d, s: f"case {d['other_case_id']} was rejected as the same child",
}


def clause(event: RecordedEvent, state: CaseState) -> str:
    """What happened, as a clause: "the agreement for child-k was breached"."""
    make = _CLAUSES.get(event.type)
    try:
        if event.type in _ABOUT_AGREEMENT:
            return _ABOUT_AGREEMENT[event.type](event, state)
        return make(event.data, state) if make else event.type
    except (KeyError, TypeError, AttributeError):
        return event.type


def summary(event: RecordedEvent, state: CaseState) -> str:
    """One line for the chronology: "EDT: the agreement for child-k was breached.", or
    "Health (hospital-ed): ..." when the actor named a unit."""
    text = clause(event, state)
    return f"{author(event)}: {text[0].upper()}{text[1:]}."


def author(event: RecordedEvent) -> str:
    """The agency that recorded the event, and its unit if the actor named one."""
    unit = event.actor.get("unit")
    name = agency(event.agency, start=True)
    return f"{name} ({unit})" if unit else name
