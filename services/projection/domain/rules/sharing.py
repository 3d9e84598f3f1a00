"""``not-shared``: events another agency must hear about, and how soon.

The sharing policy is a table a safeguarding lead can check line by line. A duty
is met when the target agency comes to know the event (see ``knowledge``); an
agency never owes a notification to itself.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from events.records import RecordedEvent
from services.projection.domain.obligations import open_obligation
from services.projection.domain.people import event_children
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.summaries import clause
from services.projection.domain.wording import Wording, agency, when

RULE_ID = "not-shared"


@dataclass(frozen=True, slots=True)
class SharingDuty:
    """One line of the sharing policy: this event must reach these agencies in time."""

    event_type: str
    to: tuple[str, ...]
    deadline: str
    condition: str
    source: str
    applies: Callable[[Mapping[str, Any]], bool] = lambda data: True


SHARING_POLICY: tuple[SharingDuty, ...] = (
    SharingDuty(
        "incident.reported",
        ("edt",),
        "24h",
        "when children were present",
        "SCR Child K 3.1.8, 3.1.14 (domestic abuse with children present); WT2018 ch.1 "
        "para 58 (referral decision within one working day), tightened locally",
        lambda d: bool(d.get("children_present")),
    ),
    SharingDuty(
        "disclosure.made",
        ("police", "edt"),
        "1h",
        "always",
        "SCR Child K 3.1.14, 3.1.18, 3.1.25 (Sibling's disclosure handled without EDT); "
        "WT strategy discussion: police and social care must both know",
    ),
    SharingDuty(
        "concern.observed",
        ("edt",),
        "4h",
        "always",
        "SCR Child K 3.1.14 (the officer's observation of Child K's head was not shared)",
    ),
    SharingDuty(
        "injury.identified",
        ("police", "edt"),
        "1h",
        "when non-accidental injury is suspected",
        "SCR Child K 3.1.14 (2.1.17 injury); WT strategy discussion: reasonable cause to "
        "suspect significant harm",
        lambda d: bool(d.get("non_accidental_suspected")),
    ),
    SharingDuty(
        "police_protection.invoked",
        ("edt",),
        "1h",
        "always",
        "Children Act 1989 s46(3): inform the local authority 'as soon as is reasonably "
        "practicable'; SCR Child K 3.1.32, Recommendation 3",
    ),
    SharingDuty(
        "agreement.party_refused",
        ("police",),
        "4h",
        "always",
        "SCR Child K 3.1.14, 3.1.38 (Father refused the agreement)",
    ),
    SharingDuty(
        "agreement.breached",
        ("police",),
        "1h",
        "always",
        "SCR Child K 3.1.30, 3.1.35 (breach not shared with the police)",
    ),
)
DUTIES: dict[str, SharingDuty] = {d.event_type: d for d in SHARING_POLICY}

RULE = Rule(
    id=RULE_ID,
    description=(
        "An event another agency needs was not passed to it in time. Per event type: "
        + "; ".join(
            f"{d.event_type} ({d.condition}) to {' and '.join(d.to)} within {d.deadline}"
            for d in SHARING_POLICY
        )
        + ". The agency that recorded the event owes nothing to itself."
    ),
    source="SCR Child K 3.1.30, 3.1.35 (breach not shared with the police); Children Act "
    "1989 s46(3); WT strategy discussion - per line of the sharing policy",
    default_deadline=None,
    severity="high",
    concerns_agencies=("police", "edt", "health"),
    deadlines_by_type=tuple((d.event_type, d.deadline) for d in SHARING_POLICY),
)


def on_event(state: CaseState, event: RecordedEvent) -> None:
    duty = DUTIES[event.type]
    if not duty.applies(event.data):
        return
    targets = [t for t in duty.to if t != event.agency]
    children = tuple(event_children(state, event)) if targets else ()
    for target in targets:
        open_obligation(
            state,
            RULE_ID,
            event,
            children=children,
            concerns=(event.agency, target),
            qualifier=target,
            to_agency=target,
            waits_for=(("know", event.event_id, target),),
        )


def explain(ob: Obligation, state: CaseState) -> Wording:
    zone = state.policy.calendar.timezone
    event = ob.trigger
    target = agency(ob.to_agency or "")
    plural = ob.to_agency == "police"
    return Wording(
        what=f"{agency(event.agency, start=True)} recorded at {when(event.occurred_at, zone)} "
        f"that {clause(event, state)}",
        missing=f"{target} {'have' if plural else 'has'} not been told",
        done=f"{target} {'were' if plural else 'was'} told",
    )


HANDLERS = {d.event_type: on_event for d in SHARING_POLICY}
EXPLAIN = {RULE_ID: explain}
RULES = (RULE,)
