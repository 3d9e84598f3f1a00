"""Strategy discussions: held in time, before investigating, with the right people and children.

Working Together: whenever there is reasonable cause to suspect significant harm
there should be a strategy discussion involving social care, police and health,
to plan both the s47 and the criminal enquiries. In Child K's case none was held
before Sibling's interview, and Child K was never considered (SCR 3.1.21-3.1.27).
"""

from events.records import RecordedEvent
from services.projection.domain.knowledge import attendee_agencies
from services.projection.domain.obligations import meet, open_obligation
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.summaries import clause, interview_kind
from services.projection.domain.wording import Wording, agencies, agency, join, when

MISSING = "strategy-discussion-missing"
BEFORE = "investigation-before-strategy-discussion"
INCOMPLETE = "strategy-discussion-incomplete"
LEFT_OUT = "child-not-considered"
REQUIRED_ATTENDEES = ("police", "edt", "health")

_WT = "WT2018/2023 strategy discussion (statutory-timescales #3, #3b)"
RULES = (
    Rule(
        MISSING,
        "After a disclosure, a suspected non-accidental injury or a concern where significant "
        "harm is suspected, a strategy discussion that considers that child must be held.",
        f"{_WT}; local timescale 24h (#3c, e.g. Tees); SCR Child K 3.1.21-3.1.27",
        "24h",
        "high",
        ("edt", "police", "health"),
    ),
    Rule(
        BEFORE,
        "A child about whom significant harm is suspected was interviewed before any "
        "strategy discussion had considered them: the investigation was not jointly planned.",
        f"{_WT} ('agree the conduct and timing of any criminal investigation'); "
        "SCR Child K 3.1.22-3.1.24",
        None,
        "high",
        ("police", "edt"),
    ),
    Rule(
        INCOMPLETE,
        "A strategy discussion was held without police, social care (EDT) and health all "
        "taking part - the minimum Working Together sets.",
        f"{_WT} ('as a minimum'); SCR Child K 3.1.27",
        None,
        "medium",
        REQUIRED_ATTENDEES,
    ),
    Rule(
        LEFT_OUT,
        "A strategy discussion or written agreement left out a child already known to the "
        "case: every child in the household must be considered.",
        "SCR Child K 3.1.26; WT ICPC 'all the children in the household' (#6); WT2023 "
        "'other children in the same household' (#4)",
        None,
        "high",
        ("edt", "police"),
    ),
)


def on_harm_suspected(state: CaseState, event: RecordedEvent) -> None:
    data = event.data
    if event.type == "injury.identified" and not data.get("non_accidental_suspected"):
        return
    if event.type == "concern.observed" and not data.get("significant_harm_suspected"):
        return
    child = data["child"]
    state.harm_children.setdefault(child, event.event_id)
    open_obligation(
        state,
        MISSING,
        event,
        children=(child,),
        concerns=("edt", "police", "health"),
        waits_for=[("discussion", child)],
    )


def on_interview(state: CaseState, event: RecordedEvent) -> None:
    child = event.data["child"]
    if child in state.harm_children and child not in state.discussed_children:
        open_obligation(
            state,
            BEFORE,
            event,
            children=(child,),
            concerns=(event.agency, "edt"),
            detail=state.harm_children[child],
        )


def on_discussion(state: CaseState, event: RecordedEvent) -> None:
    """Meets every obligation waiting for a discussion of a considered child (including
    ``review-discussion-due``), then checks who attended and who was left out."""
    considered = event.data.get("children_considered") or ()
    for child in considered:
        meet(state, ("discussion", child), event.occurred_at, event.event_id)
    meet(state, ("discussion", "*"), event.occurred_at, event.event_id)
    state.discussed_children.update(considered)
    present = attendee_agencies(event)
    missing = [a for a in REQUIRED_ATTENDEES if a not in present]
    if missing:
        open_obligation(
            state,
            INCOMPLETE,
            event,
            children=considered,
            concerns=missing,
            detail=",".join(missing),
        )
    _check_left_out(state, event, considered)


def on_agreement(state: CaseState, event: RecordedEvent) -> None:
    _check_left_out(state, event, event.data.get("children") or ())


def _check_left_out(state: CaseState, event: RecordedEvent, included: object) -> None:
    covered = set(included) if isinstance(included, (list, tuple)) else set()
    left_out = [child for child in state.children if child not in covered]
    if left_out:
        open_obligation(
            state, LEFT_OUT, event, children=left_out, concerns=(event.agency, "police")
        )


def _zone(state: CaseState) -> str:
    return state.policy.calendar.timezone


def explain_missing(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    return Wording(
        what=f"{agency(event.agency, start=True)} recorded at "
        f"{when(event.occurred_at, _zone(state))} that {clause(event, state)}",
        missing=f"no strategy discussion has considered {join(ob.children)}",
        done="a strategy discussion considered them",
    )


def explain_before(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    cause = state.by_id.get(ob.detail)
    why = f" after {clause(cause, state)}" if cause else ""
    return Wording(
        what=f"{event.data['child']} was interviewed ({interview_kind(event.data['kind'])}) "
        f"at {when(event.occurred_at, _zone(state))}{why}, before any strategy discussion "
        "had considered them",
        done="a strategy discussion was held",
    )


def explain_incomplete(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    missing = ob.detail.split(",")
    return Wording(
        what=f"The strategy discussion at {when(event.occurred_at, _zone(state))} was held "
        f"without {agencies(missing)}",
    )


def explain_left_out(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    kind = "strategy discussion" if event.type.startswith("strategy") else "written agreement"
    return Wording(
        what=f"The {kind} at {when(event.occurred_at, _zone(state))} left out "
        f"{join(ob.children)}, already known to the case",
    )


HANDLERS = {
    "disclosure.made": (on_harm_suspected,),
    "injury.identified": (on_harm_suspected,),
    "concern.observed": (on_harm_suspected,),
    "interview.conducted": (on_interview,),
    "strategy_discussion.held": (on_discussion,),
    "agreement.made": (on_agreement,),
}
EXPLAIN = {
    MISSING: explain_missing,
    BEFORE: explain_before,
    INCOMPLETE: explain_incomplete,
    LEFT_OUT: explain_left_out,
}
