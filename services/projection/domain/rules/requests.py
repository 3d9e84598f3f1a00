"""Requests between agencies: answered in time, and not simply declined.

In Child K's case EDT were asked to attend the ABE interview and, lacking the
full picture, answered by changing the plan (SCR 3.1.14).
"""

from events.records import RecordedEvent
from services.projection.domain.obligations import meet, open_obligation
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.summaries import REQUESTS
from services.projection.domain.wording import Wording, agency, when

DECLINED = "request-declined"
UNANSWERED = "request-unanswered"
RULES = (
    Rule(
        DECLINED,
        "An agency declined another agency's request; a duty manager should check the "
        "reason and whether the child is still safe.",
        "SCR Child K 3.1.14, 3.1.29 (roles not understood between police and EDT); "
        "Children Act 1989 s27/s47 duty to assist (#5)",
        None,
        "medium",
        ("police", "edt", "health"),
    ),
    Rule(
        UNANSWERED,
        "A request from one agency to another was not answered in time.",
        "SCR Child K 3.1.19, 3.1.28 (out-of-hours contacts not followed up); local timescale",
        "1h",
        "medium",
        ("police", "edt", "health"),
    ),
)


def on_request(state: CaseState, event: RecordedEvent) -> None:
    request_id = event.data["request_id"]
    state.requests[request_id] = event
    open_obligation(
        state,
        UNANSWERED,
        event,
        children=event.children,
        concerns=(event.data["to_agency"], event.agency),
        waits_for=[("response", request_id)],
    )


def on_response(state: CaseState, event: RecordedEvent) -> None:
    request_id = event.data["request_id"]
    meet(state, ("response", request_id), event.occurred_at, event.event_id)
    request = state.requests.get(request_id)
    if event.data.get("outcome") != "declined" or request is None:
        return
    open_obligation(
        state,
        DECLINED,
        event,
        children=request.children,
        concerns=(event.agency, request.agency),
        triggers=(request.event_id, event.event_id),
    )


def explain_unanswered(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    zone = state.policy.calendar.timezone
    to = agency(event.data["to_agency"])
    return Wording(
        what=f"{agency(event.agency, start=True)} asked {to} at {when(event.occurred_at, zone)} "
        f"{REQUESTS.get(event.data['kind'], 'for help')}",
        missing=f"{to} {'have' if to == 'police' else 'has'} not answered",
        done=f"{to} answered",
    )


def explain_declined(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    request = state.requests[event.data["request_id"]]
    zone = state.policy.calendar.timezone
    return Wording(
        what=f"{agency(event.agency, start=True)} declined at {when(event.occurred_at, zone)} "
        f"{agency(request.agency)}'s request {REQUESTS.get(request.data['kind'], 'for help')}: "
        f"{event.data['reason']}",
    )


HANDLERS = {"request.made": (on_request,), "request.responded": (on_response,)}
EXPLAIN = {UNANSWERED: explain_unanswered, DECLINED: explain_declined}
