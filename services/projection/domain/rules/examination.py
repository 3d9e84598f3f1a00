"""``medical-examiner-not-informed``: what is known about a child reaches the examining clinician.

Peter Connelly's child protection medical of 1.8.07 was done by a paediatrician who
had not been told of the earlier injuries, the police investigation or the concerns
of the other agencies (Haringey SCR 2009). A child protection medical
(``medical.attended.child_protection_medical``) is checked against every earlier
record about the child: each must have reached the examining clinician - their unit,
if the medical names one - before it began. One part of an agency knowing (the
emergency department) is not the examining part knowing (community paediatrics).
"""

from events.records import RecordedEvent
from services.projection.domain.knowledge import unit_knows
from services.projection.domain.obligations import open_obligation
from services.projection.domain.people import children_of
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.summaries import clause
from services.projection.domain.wording import Wording, agency, when

NOT_INFORMED = "medical-examiner-not-informed"
RELEVANT = frozenset(
    {
        "incident.reported",
        "disclosure.made",
        "concern.observed",
        "injury.identified",
        "medical.attended",
        "interview.conducted",
        "person.arrested",
        "police_action.taken",
        "agreement.breached",
        "household_member.reported",
    }
)
"""Records that bear on a child protection medical: harm, injuries, who is around."""

RULES = (
    Rule(
        NOT_INFORMED,
        "Before a child protection medical, what the agencies (and other parts of the "
        "examining agency) had recorded about the child's harm, injuries and household must "
        "have reached the examining clinician.",
        "Haringey SCR Peter Connelly 2009 (paediatrician not told of the concerns before the "
        "medical of 1.8.07); RCPCH Child Protection Companion ch.4 (information before the "
        "examination); WT2023 strategy discussion (#3b)",
        None,
        "high",
        ("health", "police", "edt", "children_social_care"),
    ),
)


def on_medical(state: CaseState, event: RecordedEvent) -> None:
    if not event.data.get("child_protection_medical"):
        return
    child = event.data["child"]
    unit = event.actor.get("unit")
    missing = [
        e.event_id
        for e in state.events
        if e.type in RELEVANT
        and e is not event
        and child in children_of(e)
        and not unit_knows(state, e, event.agency, unit, event.occurred_at)
    ]
    if missing:
        holders = {state.by_id[i].agency for i in missing}
        open_obligation(
            state,
            NOT_INFORMED,
            event,
            children=(child,),
            concerns=(event.agency, *sorted(holders - {event.agency})),
            triggers=(event.event_id, *missing),
            detail=",".join(missing),
        )


def explain_not_informed(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    zone = state.policy.calendar.timezone
    unit = event.actor.get("unit")
    examiner = agency(event.agency, start=True) + (f" ({unit})" if unit else "")
    unknown = [state.by_id[i] for i in ob.detail.split(",")]
    told = "; ".join(
        f"{agency(e.agency)} at {when(e.occurred_at, zone)}: {clause(e, state)}" for e in unknown
    )
    return Wording(
        what=f"{examiner} began a child protection medical of {event.data['child']} at "
        f"{when(event.occurred_at, zone)} without knowing what was recorded before it ({told})",
    )


HANDLERS = {"medical.attended": (on_medical,)}
EXPLAIN = {NOT_INFORMED: explain_not_informed}
