"""Legal status: on what basis each agency believes a child is away from home.

In Child K's case police believed Sibling was accommodated under s20, EDT
believed he was in police protection, and neither was in place (SCR 3.1.14,
3.1.19, 3.1.32, footnote 17).
"""

from events.records import RecordedEvent
from services.projection.domain.obligations import meet, open_obligation, settle
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.wording import Wording, agency, join, when

NO_BASIS = "placement-without-legal-basis"
CONFLICT = "legal-status-conflict"
WITHOUT_BASIS = frozenset({"none", "unknown"})
ENDED = "ended"
RULES = (
    Rule(
        NO_BASIS,
        "A child was placed away from home with no legal basis recorded (none or unknown): "
        "neither s20 consent, police protection nor a court order.",
        "SCR Child K 3.1.19 and footnote 17; Children Act 1989 s20, s46, s44 "
        "(statutory-timescales #7-#9)",
        None,
        "critical",
        ("edt", "police"),
    ),
    Rule(
        CONFLICT,
        "Agencies' latest records give different legal bases for the same child "
        "(e.g. police believe s20, EDT believe police protection).",
        "SCR Child K 3.1.14 (2.1.17), 3.1.32 ('clarity is required ... whether police "
        "protection is in place or if S20 agreement is required')",
        None,
        "critical",
        ("edt", "police"),
    ),
)


def on_placed(state: CaseState, event: RecordedEvent) -> None:
    child, basis = event.data["child"], event.data["legal_basis"]
    _record(state, event, child, basis)
    if basis in WITHOUT_BASIS:
        open_obligation(
            state,
            NO_BASIS,
            event,
            children=(child,),
            concerns=(event.agency,),
            detail=basis,
            waits_for=[("basis", child)],
        )
    else:
        meet(state, ("basis", child), event.occurred_at, event.event_id)


def on_protection(state: CaseState, event: RecordedEvent) -> None:
    invoked = event.type == "police_protection.invoked"
    for child in event.data.get("children") or ():
        _record(state, event, child, "police_protection" if invoked else ENDED)
        if invoked:
            meet(state, ("basis", child), event.occurred_at, event.event_id)


def _record(state: CaseState, event: RecordedEvent, child: str, basis: str) -> None:
    history = state.legal.setdefault(child, {}).setdefault(event.agency, [])
    history.append((event.occurred_at, basis, event.event_id))
    _check_conflict(state, event, child)


def latest_claims(state: CaseState, child: str) -> dict[str, tuple[str, str]]:
    """agency -> (basis, event_id) of its latest record for ``child``."""
    return {a: (h[-1][1], h[-1][2]) for a, h in state.legal.get(child, {}).items() if h}


def in_conflict(bases: set[str]) -> bool:
    """Different positive bases conflict; "ended" conflicts only with police protection."""
    claims = bases - {"unknown"}
    if ENDED in claims and "police_protection" not in claims:
        claims.discard(ENDED)
    return len(claims) > 1


def _check_conflict(state: CaseState, event: RecordedEvent, child: str) -> None:
    claims = latest_claims(state, child)
    conflict = in_conflict({b for b, _ in claims.values()})
    current = state.open_conflicts.get(child)
    if not conflict:
        if current is not None:
            settle(current, event.occurred_at, event.event_id)
            del state.open_conflicts[child]
        return
    if current is not None:
        return
    involved = sorted(claims)
    detail = "; ".join(f"{a}={claims[a][0]}" for a in involved)
    ob = open_obligation(
        state,
        CONFLICT,
        event,
        children=(child,),
        concerns=involved,
        qualifier=child,
        triggers=tuple(sorted({claims[a][1] for a in involved})),
        detail=detail,
    )
    if ob is not None:
        state.open_conflicts[child] = ob


def explain_no_basis(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    zone = state.policy.calendar.timezone
    return Wording(
        what=f"{agency(event.agency, start=True)} recorded at {when(event.occurred_at, zone)} "
        f"that {event.data['child']} was placed with {event.data['placed_with']} with legal "
        f"basis '{ob.detail}'",
        done="a legal basis was recorded",
    )


def explain_conflict(ob: Obligation, state: CaseState) -> Wording:
    beliefs = [
        f"{agency(a)} recorded {b.replace('_', ' ')}"
        for a, b in (pair.split("=") for pair in ob.detail.split("; "))
    ]
    zone = state.policy.calendar.timezone
    return Wording(
        what=f"Agencies disagree on {join(ob.children)}'s legal status since "
        f"{when(ob.opened_at, zone)}: {join(beliefs)}",
        done="their records agreed",
    )


HANDLERS = {
    "child.placed": (on_placed,),
    "police_protection.invoked": (on_protection,),
    "police_protection.ended": (on_protection,),
}
EXPLAIN = {NO_BASIS: explain_no_basis, CONFLICT: explain_conflict}
