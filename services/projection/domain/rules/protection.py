"""Children under protection: injuries shared whatever the view, and children seen.

Peter Connelly (Haringey 2007) was on a child protection plan when hospital and GP
staff saw injuries they accepted as accidental, and police and social care were not
always told; the bruising in non-mobile infants protocols require any injury to a
baby who is not yet mobile to be referred whatever its explanation. Logan Mwangi
(Bridgend 2021) was not seen at home visits while his plan was in force.
"""

from events.records import RecordedEvent
from services.projection.domain.obligations import open_obligation
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.wording import Wording, agency, when

INJURY = "protected-child-injury-not-shared"
NOT_SEEN = "child-not-seen-on-visit"
SOCIAL_CARE = ("edt", "children_social_care")
"""Children's social care, out of hours or by day: either hearing meets the duty."""

RULES = (
    Rule(
        INJURY,
        "Any injury to a child on a child protection plan, subject of child protection "
        "enquiries, or not yet mobile must reach children's social care (EDT or the day "
        "team) and the police, whatever the recording clinician thinks caused it. An injury "
        "the clinician suspects was non-accidental is `not-shared`'s already.",
        "Bruising in non-mobile infants protocols (e.g. Pan-London, All Wales); Haringey "
        "SCR Peter Connelly 2009 (injuries accepted as accidental); SCR Child K 3.1.14",
        "1h",
        "high",
        ("health", "police", "edt", "children_social_care"),
    ),
    Rule(
        NOT_SEEN,
        "A child on a plan (child protection or child in need) was not seen at a home visit.",
        "Working Together 2023 ch.3 (the child seen, and seen alone); CPR Logan Mwangi, "
        "Cwm Taf Morgannwg 2023 (not seen at visits while on the plan)",
        None,
        "high",
        ("children_social_care", "edt"),
    ),
)


def on_plan_started(state: CaseState, event: RecordedEvent) -> None:
    data = event.data
    state.plans.setdefault(data["child"], {})[data["kind"]] = event.event_id


def on_plan_ended(state: CaseState, event: RecordedEvent) -> None:
    data = event.data
    state.plans.get(data["child"], {}).pop(data["kind"], None)


_DECIDED_PLAN = {"child_protection_plan": "child_protection", "child_in_need_plan": "child_in_need"}


def on_conference(state: CaseState, event: RecordedEvent) -> None:
    decision = event.data["decision"]
    for child in event.data["children_considered"]:
        state.referred.setdefault(child, event.event_id)
        if decision in _DECIDED_PLAN:
            state.plans.setdefault(child, {})[_DECIDED_PLAN[decision]] = event.event_id
        elif decision == "plan_ended":
            state.plans.get(child, {}).pop("child_protection", None)


def on_discussion(state: CaseState, event: RecordedEvent) -> None:
    if event.data.get("s47_enquiry"):
        for child in event.data.get("children_considered") or ():
            state.referred.setdefault(child, event.event_id)


def protection_reason(state: CaseState, child: str, mobile: object) -> str | None:
    """Why an injury to ``child`` must be shared whatever its explanation, or None."""
    if "child_protection" in state.plans.get(child, {}):
        return "on a child protection plan"
    if child in state.harm_children or child in state.referred:
        return "subject of child protection enquiries"
    if mobile is False:
        return "not yet mobile"
    return None


def on_injury(state: CaseState, event: RecordedEvent) -> None:
    data = event.data
    if data.get("non_accidental_suspected"):
        return
    reason = protection_reason(state, data["child"], data.get("child_mobile"))
    if reason is None:
        return
    children = (data["child"],)
    if event.agency != "police":
        _owe(state, event, children, "police", ("police",), reason)
    if event.agency not in SOCIAL_CARE:
        _owe(state, event, children, "children_social_care", SOCIAL_CARE, reason)


def _owe(
    state: CaseState,
    event: RecordedEvent,
    children: tuple[str, ...],
    to: str,
    any_of: tuple[str, ...],
    reason: str,
) -> None:
    open_obligation(
        state,
        INJURY,
        event,
        children=children,
        concerns=(event.agency, to),
        qualifier=to,
        to_agency=to,
        detail=reason,
        waits_for=[("know", event.event_id, a) for a in any_of],
    )


def on_home_visit(state: CaseState, event: RecordedEvent) -> None:
    data = event.data
    child = data["child"]
    plans = state.plans.get(child)
    if data["child_seen"] or not plans:
        return
    open_obligation(
        state,
        NOT_SEEN,
        event,
        children=(child,),
        concerns=(event.agency,),
        detail=" and ".join(sorted(kind.replace("_", " ") for kind in plans)),
    )


def explain_injury(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    target = "the police" if ob.to_agency == "police" else "children's social care"
    child = event.data["child"]
    return Wording(
        what=f"{agency(event.agency, start=True)} recorded at "
        f"{when(event.occurred_at, state.policy.calendar.timezone)} an injury to {child} "
        f"({event.data['injury'].rstrip('.')}), who is {ob.detail}",
        missing=f"{target} {'have' if ob.to_agency == 'police' else 'has'} not been told",
        done=f"{target} {'were' if ob.to_agency == 'police' else 'was'} told",
    )


def explain_not_seen(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    return Wording(
        what=f"{agency(event.agency, start=True)} visited the home at "
        f"{when(event.occurred_at, state.policy.calendar.timezone)} and did not see "
        f"{event.data['child']}, who is on a {ob.detail} plan",
    )


HANDLERS = {
    "plan.started": (on_plan_started,),
    "plan.ended": (on_plan_ended,),
    "conference.held": (on_conference,),
    "strategy_discussion.held": (on_discussion,),
    "injury.identified": (on_injury,),
    "home_visit.made": (on_home_visit,),
}
EXPLAIN = {INJURY: explain_injury, NOT_SEEN: explain_not_seen}
