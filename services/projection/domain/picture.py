"""The joint picture of one case as of a moment, as a JSON-ready dict.

Everything shown is filtered to ``at``: events that had occurred, knowledge
gained, records made and obligations met by then. So the picture of a full
state at ``t`` equals the picture of a state folded from ``as_of(events, t)``.
"""

from datetime import UTC, datetime
from typing import Any

from events.findings import Finding
from events.records import RecordedEvent
from services.projection.domain.evaluate import evaluate, obligation_state
from services.projection.domain.people import event_children
from services.projection.domain.state import SAFEGUARD_TYPES, Agreement, CaseState, Since
from services.projection.domain.summaries import summary

Json = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def picture(state: CaseState, at: datetime) -> Json:
    """The case's people, chronology, knowledge, legal status, agreements, obligations, findings."""
    findings = evaluate(state, at)
    events = [e for e in state.events if e.occurred_at <= at]
    return {
        "case_id": state.case_id,
        "as_of": iso(at),
        "people": {
            "children": _people(state.children, at),
            "adults": _people(state.adults, at),
        },
        "chronology": _chronology(state, events, findings),
        "knowledge": _knowledge(state, events, at),
        "knowledge_since": {
            e.event_id: {a: iso(s) for a, s in state.known_by(e).items() if s <= at}
            for e in events
            if e.type not in SAFEGUARD_TYPES
        },
        "legal_status": _legal_status(state, at),
        "agreements": [_agreement(a, at) for a in state.agreements_made if a.made_at <= at],
        "obligations": [
            {
                "rule": ob.rule,
                "finding_id": ob.finding_id,
                "due_at": iso(ob.due_at),
                "trigger_event_ids": list(ob.trigger_event_ids),
                "children": list(ob.children),
                "to_agency": ob.to_agency,
                "met_at": iso(ob.met_at) if ob.met_by(at) else None,
                "met_by_event_id": ob.met_by_event_id if ob.met_by(at) else None,
                "state": obligation_state(ob, at),
            }
            for ob in state.obligations
            if ob.opened_at <= at
        ],
        "findings": [f.to_json() for f in findings],
        "unit_knowledge": _unit_knowledge(state, events, at),
    }


def _people(people: dict[str, Since], at: datetime) -> list[Json]:
    shown = []
    for ref, known in people.items():
        known_by = {a: iso(s) for a, s in known.items() if s <= at}
        if known_by:
            shown.append({"ref": ref, "known_by": known_by})
    return shown


def _chronology(
    state: CaseState, events: list[RecordedEvent], findings: list[Finding]
) -> list[Json]:
    triggered: dict[str, list[str]] = {}
    for f in findings:
        for event_id in f.trigger_event_ids:
            triggered.setdefault(event_id, []).append(f.finding_id)
    return [
        {
            "event_id": e.event_id,
            "position": e.position,
            "type": e.type,
            "agency": e.agency,
            "unit": e.actor.get("unit"),
            "occurred_at": iso(e.occurred_at),
            "recorded_at": iso(e.recorded_at),
            "recording_delay_seconds": round((e.recorded_at - e.occurred_at).total_seconds()),
            "children": event_children(state, e),
            "summary": summary(e, state),
            "finding_ids": triggered.get(e.event_id, []),
        }
        for e in events
    ]


def _knowledge(state: CaseState, events: list[RecordedEvent], at: datetime) -> Json:
    by_agency: dict[str, list[str]] = {}
    for e in events:
        for agency, since in state.known_by(e).items():
            if since <= at:
                by_agency.setdefault(agency, []).append(e.event_id)
    return {agency: by_agency[agency] for agency in sorted(by_agency)}


def _unit_knowledge(state: CaseState, events: list[RecordedEvent], at: datetime) -> Json:
    """agency -> unit -> event ids, for the units named: the author's own unit, and
    units told by name. One unit listed without an event another holds shows that
    part of the agency did not know."""
    by_unit: dict[str, dict[str, list[str]]] = {}
    for e in events:
        units: dict[str, datetime] = {}
        author_unit = e.actor.get("unit")
        if author_unit and e.type not in SAFEGUARD_TYPES:
            units[f"{e.agency}/{author_unit}"] = e.occurred_at
        units.update(
            (k, s) for k, s in state.unit_knowledge.get(e.event_id, {}).items() if k not in units
        )
        for key, since in units.items():
            agency, unit = key.split("/", 1)
            if since <= at and unit != "*":
                by_unit.setdefault(agency, {}).setdefault(unit, []).append(e.event_id)
    return {a: {u: by_unit[a][u] for u in sorted(by_unit[a])} for a in sorted(by_unit)}


def _legal_status(state: CaseState, at: datetime) -> Json:
    shown: Json = {}
    for child, agencies in state.legal.items():
        latest = {}
        for agency, history in agencies.items():
            past = [h for h in history if h[0] <= at]
            if past:
                when, basis, event_id = past[-1]
                latest[agency] = {"basis": basis, "event_id": event_id, "at": iso(when)}
        if latest:
            shown[child] = latest
    return shown


def _agreement(a: Agreement, at: datetime) -> Json:
    refusals = [r for r in a.refusals if r[2] <= at]
    breaches = [b for b in a.breaches if b[1] <= at]
    adults = []
    for person, confirmed in a.protective_adults.items():
        ok = confirmed is not None and confirmed[0] <= at
        adults.append(
            {
                "person": person,
                "confirmed": ok,
                "confirmed_at": iso(confirmed[0]) if ok and confirmed else None,
                "confirmed_by_event_id": confirmed[1] if ok and confirmed else None,
            }
        )
    return {
        "agreement_id": a.agreement_id,
        "event_id": a.event_id,
        "agency": a.agency,
        "made_at": iso(a.made_at),
        "children": list(a.children),
        "conditions": list(a.conditions),
        "signed_by": list(a.signed_by),
        "protective_adults": adults,
        "protective_adults_confirmed": all(p["confirmed"] for p in adults),
        "refused_by": [{"person": p, "event_id": e, "at": iso(t)} for p, e, t in refusals],
        "breaches": [{"event_id": e, "at": iso(t), "summary": s} for e, t, s in breaches],
        "state": "breached" if breaches else "refused" if refusals else "made",
    }
