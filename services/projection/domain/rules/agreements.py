"""Written agreements: what was agreed, with whom, and whether the safety it relies on is real.

``protective-adult-unconfirmed``: Child K's agreement relied on the maternal
grandparents, who were never asked (SCR 3.1.34, 3.1.40).
"""

from events.records import RecordedEvent
from services.projection.domain.obligations import meet, open_obligation
from services.projection.domain.rule import Rule
from services.projection.domain.state import Agreement, CaseState, Obligation
from services.projection.domain.wording import Wording, join, when

UNCONFIRMED = "protective-adult-unconfirmed"
RULES = (
    Rule(
        UNCONFIRMED,
        "A written agreement relies on a protective adult who has not confirmed their part "
        "(confirmed in the agreement, or a later confirmation).",
        "SCR Child K 3.1.34, 3.1.40 ('support and cooperation needs to be sought from all the "
        "participants ... before it can be considered to have been made')",
        "2h",
        "high",
        ("edt",),
    ),
)


def on_made(state: CaseState, event: RecordedEvent) -> None:
    data = event.data
    adults = {
        a["person"]: (event.occurred_at, event.event_id) if a.get("confirmed") else None
        for a in data.get("protective_adults") or ()
    }
    agreement = Agreement(
        agreement_id=data["agreement_id"],
        event_id=event.event_id,
        made_at=event.occurred_at,
        position=event.position,
        agency=event.agency,
        children=tuple(data.get("children") or ()),
        conditions=tuple(data.get("conditions") or ()),
        signed_by=tuple(data.get("signed_by") or ()),
        protective_adults=adults,
    )
    state.agreements[agreement.agreement_id] = agreement
    state.agreements_made.append(agreement)
    for person, confirmed in adults.items():
        if confirmed is None:
            open_obligation(
                state,
                UNCONFIRMED,
                event,
                children=agreement.children,
                concerns=(event.agency,),
                qualifier=person,
                detail=person,
                waits_for=[("confirm", agreement.agreement_id, person)],
            )


def on_confirmed(state: CaseState, event: RecordedEvent) -> None:
    agreement_id, person = event.data["agreement_id"], event.data["person"]
    agreement = state.agreements.get(agreement_id)
    if agreement is not None and agreement.protective_adults.get(person, "absent") is None:
        agreement.protective_adults[person] = (event.occurred_at, event.event_id)
    meet(state, ("confirm", agreement_id, person), event.occurred_at, event.event_id)


def on_refused(state: CaseState, event: RecordedEvent) -> None:
    agreement = state.agreements.get(event.data["agreement_id"])
    if agreement is not None:
        agreement.refusals.append((event.data["person"], event.event_id, event.occurred_at))


def on_breached(state: CaseState, event: RecordedEvent) -> None:
    agreement = state.agreements.get(event.data["agreement_id"])
    if agreement is not None:
        agreement.breaches.append((event.event_id, event.occurred_at, event.data["summary"]))


def explain_unconfirmed(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    zone = state.policy.calendar.timezone
    return Wording(
        what=f"The agreement made at {when(event.occurred_at, zone)} for {join(ob.children)} "
        f"relies on {ob.detail} as a protective adult",
        missing=f"{ob.detail} has not confirmed their part",
        done=f"{ob.detail} confirmed",
    )


HANDLERS = {
    "agreement.made": (on_made,),
    "agreement.adult_confirmed": (on_confirmed,),
    "agreement.party_refused": (on_refused,),
    "agreement.breached": (on_breached,),
}
EXPLAIN = {UNCONFIRMED: explain_unconfirmed}
