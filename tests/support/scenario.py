"""Scenarios as the store would record them, and what the rules should say about Child K.

``recorded_events("child-k")`` turns a scenario into ``RecordedEvent``s with
positions in file (posting) order and ``recorded_at = occurred_at + delay``, or the
event's ``post_after`` when it was recorded late (the uniformed officer's
observation of Child K's head: occurred 31.12.16 08:15, recorded 2.1.17 21:00).
``recorded_at`` never goes backwards.

Expected Child K findings when evaluated at ``CHILD_K_EVALUATE_AT`` (3.1.17 09:00,
when daytime services returned). Times are UTC (= Europe/London in winter).

| # | rule                           | trigger(s)         | to     | due         | expected        |
|---|--------------------------------|--------------------|--------|-------------|-----------------|
| 1 | not-shared                     | ck-03 disclosure   | edt    | 31.12 09:20 | met_late 11:00  |
| 2 | strategy-discussion-missing    | ck-03 disclosure   | -      | 01.01 08:20 | met_late ck-23  |
| 3 | investigation-before-strategy- | ck-10 ABE interview| -      | 31.12 14:30 | open            |
|   | discussion                     |                    |        |             |                 |
| 4 | protective-adult-unconfirmed   | ck-12 agreement    | -      | 31.12 18:30 | open            |
| 5 | review-discussion-due          | ck-13 father bailed| -      | 01.01 18:00 | met_late ck-23  |
| 6 | review-discussion-due          | ck-15 father refuse| -      | 01.01 18:15 | met_late ck-23  |
| 7 | not-shared                     | ck-15 father refuse| police | 31.12 22:15 | open            |
| 8 | not-shared                     | ck-16 breach       | police | 01.01 13:00 | open            |
| 9 | review-discussion-due          | ck-16 breach       | -      | 02.01 12:00 | met_late ck-23  |
|10 | delayed-medical-attention      | ck-17 clinic       | -      | 01.01 02:00 | met_late 02.01  |
|11 | strategy-discussion-incomplete | ck-23 (no health)  | health | 02.01 19:00 | open            |
|12 | legal-status-conflict          | ck-24 + ck-25      | -      | 02.01 20:00 | open            |
|13 | not-shared                     | ck-26 head (late)  | edt    | 31.12 12:15 | open; overdue   |
|   |                                |                    |        |             | when recorded   |

ck-23 is the strategy discussion of 02.01 19:00 (EDT and police only).

Not expected: not-shared for the incident (ck-09, 14:00) or the coaching concern
(ck-09), the injury to edt (ck-19) or police (ck-20); strategy-discussion-missing
for the injury (ck-23 within 24h); child-not-considered (both children in ck-12 and
ck-23); request-unanswered (ck-07 in 30 min); request-declined.

Judgement calls for the domain's author: #5 may be two findings (ck-14 is a second
release at the same moment, NFA); #3 may also name ck-03 as a trigger;
placement-without-legal-basis fires on ck-25 only if the rule checks a claimed
``police_protection`` against a ``police_protection.invoked`` event (the review:
"neither were in place"); if review-discussion-due requires ``kind == "review"``,
#5, #6 and #9 stay open. ``child-k-good-practice`` must raise no finding at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from events import RecordedEvent, Submission, canonical, parse_envelope
from services.projection.domain.findings import Finding, finding_id_for
from services.projection.scenarios import ScenarioEvent, load_scenario

CHILD_K_EVALUATE_AT = datetime(2017, 1, 3, 9, 0, tzinfo=UTC)
RECORDING_DELAY = timedelta(minutes=5)


def recorded_events(
    name: str | list[ScenarioEvent], *, delay: timedelta = RECORDING_DELAY, first_position: int = 1
) -> list[RecordedEvent]:
    """The scenario as stored: file order, server-assigned ``recorded_at``."""
    events = load_scenario(name) if isinstance(name, str) else name
    out: list[RecordedEvent] = []
    last = datetime.min.replace(tzinfo=UTC)
    for i, item in enumerate(events):
        last = max(last, item.post_after or item.occurred_at + delay)
        sub = Submission(envelope=canonical(parse_envelope(item.envelope)), agency=item.agency)
        out.append(
            RecordedEvent.from_submission(
                sub, position=first_position + i, stream_version=i + 1, recorded_at=last
            )
        )
    return out


def ids(name: str) -> dict[str, str]:
    """Slug to event id, for assertions that read like the table above."""
    return {e.slug: e.event_id for e in load_scenario(name)}


@dataclass(frozen=True, slots=True)
class ExpectedFinding:
    rule: str
    triggers: tuple[str, ...]
    due: datetime
    status: str
    to_agency: str | None = None
    met_by: str | None = None
    met_at: datetime | None = None
    children: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    severity: str = "high"
    explanation: str = ""


def _t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(
        2016 if day == 31 else 2017, 12 if day == 31 else 1, day, hour, minute, tzinfo=UTC
    )


_SD = "ck-23-strategy-discussion"
CHILD_K_EXPECTED: tuple[ExpectedFinding, ...] = (
    ExpectedFinding(
        "not-shared",
        ("ck-03-disclosure",),
        _t(31, 9, 20),
        "met_late",
        "edt",
        "ck-06-request-edt-abe",
        _t(31, 11),
        ("sibling",),
        ("police",),
        "high",
        "Sibling's disclosure to police at 08:20 reached EDT only with the request to "
        "attend the ABE interview at 11:00; due within 1 hour.",
    ),
    ExpectedFinding(
        "strategy-discussion-missing",
        ("ck-03-disclosure",),
        _t(1, 8, 20),
        "met_late",
        None,
        _SD,
        _t(2, 19),
        ("sibling",),
        ("edt", "police"),
        "critical",
        "No strategy discussion considered Sibling within 24 hours of his disclosure; "
        "the first was held on 2.1.17 after Child K's injury.",
    ),
    ExpectedFinding(
        "investigation-before-strategy-discussion",
        ("ck-10-abe-interview",),
        _t(31, 14, 30),
        "open",
        None,
        None,
        None,
        ("sibling",),
        ("police", "edt"),
        "high",
        "Sibling was interviewed (ABE) before any strategy discussion planned "
        "the conduct and timing of the investigation.",
    ),
    ExpectedFinding(
        "protective-adult-unconfirmed",
        ("ck-12-agreement",),
        _t(31, 18, 30),
        "open",
        None,
        None,
        None,
        ("child-k", "sibling"),
        ("edt",),
        "high",
        "Maternal Grandmother, the protective adult in the written agreement, was "
        "never confirmed; due within 2 hours.",
    ),
    ExpectedFinding(
        "review-discussion-due",
        ("ck-13-released-bail",),
        _t(1, 18),
        "met_late",
        None,
        _SD,
        _t(2, 19),
        ("child-k", "sibling"),
        ("edt", "police"),
        "high",
        "Father, the alleged perpetrator, was released at 18:00; no review strategy "
        "discussion within 24 hours.",
    ),
    ExpectedFinding(
        "review-discussion-due",
        ("ck-15-father-refuses",),
        _t(1, 18, 15),
        "met_late",
        None,
        _SD,
        _t(2, 19),
        ("child-k", "sibling"),
        ("edt", "police"),
        "high",
        "Father refused the written agreement; no review strategy discussion within 24 hours.",
    ),
    ExpectedFinding(
        "not-shared",
        ("ck-15-father-refuses",),
        _t(31, 22, 15),
        "open",
        "police",
        None,
        None,
        ("child-k", "sibling"),
        ("edt",),
        "high",
        "Father's refusal to keep to the agreement was not shared with the police; "
        "due within 4 hours.",
    ),
    ExpectedFinding(
        "not-shared",
        ("ck-16-breach",),
        _t(1, 13),
        "open",
        "police",
        None,
        None,
        ("child-k", "sibling"),
        ("edt",),
        "critical",
        "The breach of the written agreement (children at home with Father) was not "
        "shared with the police; due within 1 hour.",
    ),
    ExpectedFinding(
        "review-discussion-due",
        ("ck-16-breach",),
        _t(2, 12),
        "met_late",
        None,
        _SD,
        _t(2, 19),
        ("child-k", "sibling"),
        ("edt", "police"),
        "high",
        "The agreement was breached; no review strategy discussion within 24 hours.",
    ),
    ExpectedFinding(
        "delayed-medical-attention",
        ("ck-17-clinic",),
        _t(1, 2),
        "met_late",
        None,
        "ck-17-clinic",
        _t(2, 13),
        ("child-k",),
        (),
        "high",
        "Child K was brought for medical attention about 59 hours after the reported "
        "time of injury (early hours of 31.12.16).",
    ),
    ExpectedFinding(
        "strategy-discussion-incomplete",
        (_SD,),
        _t(2, 19),
        "open",
        "health",
        None,
        None,
        ("child-k", "sibling"),
        ("edt",),
        "medium",
        "The strategy discussion on 2.1.17 was held by EDT and police only; health "
        "did not take part.",
    ),
    ExpectedFinding(
        "legal-status-conflict",
        ("ck-24-placed-police", "ck-25-placed-edt"),
        _t(2, 20),
        "open",
        None,
        None,
        None,
        ("sibling",),
        ("police", "edt"),
        "high",
        "Police recorded Sibling's placement as s20 accommodation, EDT as police "
        "protection; the review found neither was in place.",
    ),
    ExpectedFinding(
        "not-shared",
        ("ck-26-head-observed-late",),
        _t(31, 12, 15),
        "open",
        "edt",
        None,
        None,
        ("child-k",),
        ("police",),
        "high",
        "The officer's observation of Child K's soft, odd-shaped head (31.12 08:15) "
        "was never shared with EDT, and was recorded only on 2.1.17.",
    ),
)


def expected_findings(name: str = "child-k") -> list[Finding]:
    """The table above as ``Finding`` objects, ids derived as the domain derives them."""
    sid = ids(name)
    out = []
    for x in CHILD_K_EXPECTED:
        triggers = tuple(sid[s] for s in x.triggers)
        out.append(
            Finding(
                finding_id=finding_id_for(x.rule, "child-k", triggers, x.to_agency or ""),
                rule=x.rule,
                case_id="child-k",
                status=x.status,  # type: ignore[arg-type]
                children=x.children,
                trigger_event_ids=triggers,
                due_at=x.due,
                concerns_agencies=x.concerns,
                severity=x.severity,  # type: ignore[arg-type]
                explanation=x.explanation,
                to_agency=x.to_agency,
                met_at=x.met_at,
                met_by_event_id=sid[x.met_by] if x.met_by else None,
            )
        )
    return out


# --- a hand-built joint picture, shaped like domain.picture(), for the renderers ---

_SUMMARY_FIELDS = (
    "summary",
    "concern",
    "decisions",
    "presenting_complaint",
    "injury",
    "offence",
    "reason",
)


def _summary(e: RecordedEvent) -> str:
    d = e.data
    for key in _SUMMARY_FIELDS:
        if d.get(key):
            return str(d[key])
    if e.type == "agreement.made":
        return " ".join(d["conditions"])
    if e.type == "child.placed":
        return f"{d['child']} placed with {d['placed_with']} (recorded basis: {d['legal_basis']})."
    if e.type == "person.released":
        return f"{d['person']} released: {d['outcome']} for {'; '.join(d['for_offences'])}."
    if e.type == "household.recorded":
        return "Household: " + ", ".join(a["person"] for a in d["adults"]) + "."
    return f"{e.type} {d.get('person', '')}".strip()


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def _knowledge(events: list[RecordedEvent]) -> dict[str, dict[str, str]]:
    since: dict[str, dict[str, str]] = {}

    def learn(eid: str, agency: str, at: datetime) -> None:
        since.setdefault(eid, {}).setdefault(agency, _iso(at))

    for e in events:
        learn(e.event_id, e.agency, e.recorded_at)
        targets: list[str] = []
        if e.type in ("information.shared", "request.made"):
            targets = [str(e.data["to_agency"])]
            about = [str(a) for a in e.data["about"]]
        elif e.type == "strategy_discussion.held":
            targets = [str(a["agency"]) for a in e.data["attendees"] if a["agency"] != "other"]
            about = [str(a) for a in e.data.get("information_shared", [])]
        for agency in targets:
            learn(e.event_id, agency, e.recorded_at)
            for eid in about:
                if e.agency in since.get(eid, {}):
                    learn(eid, agency, e.recorded_at)
    return since


def fixture_picture(name: str = "child-k", at: datetime = CHILD_K_EVALUATE_AT) -> dict[str, Any]:
    """A joint picture dict for ``name`` as of ``at`` (recorded_at <= at); findings from
    the expected table. A stand-in for ``domain.picture`` until it lands."""
    events = [e for e in recorded_events(name) if e.recorded_at <= at]
    known = {e.event_id for e in events}
    findings = [f.to_json() for f in expected_findings(name)] if name == "child-k" else []
    findings = [f for f in findings if set(f["trigger_event_ids"]) <= known]
    by_event: dict[str, list[str]] = {}
    for f in findings:
        for t in f["trigger_event_ids"]:
            by_event.setdefault(t, []).append(f["finding_id"])
    since = _knowledge(events)
    return {
        "case_id": events[0].case_id if events else name,
        "as_of": _iso(at),
        "people": _people(events),
        "chronology": [_row(e, by_event.get(e.event_id, [])) for e in events],
        "knowledge": _by_agency(since),
        "knowledge_since": since,
        "legal_status": _legal(events),
        "agreements": _agreements(events),
        "obligations": [_obligation(f) for f in findings],
        "findings": findings,
    }


def _row(e: RecordedEvent, finding_ids: list[str]) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "position": e.position,
        "type": e.type,
        "agency": e.agency,
        "occurred_at": _iso(e.occurred_at),
        "recorded_at": _iso(e.recorded_at),
        "recording_delay_seconds": int((e.recorded_at - e.occurred_at).total_seconds()),
        "children": list(e.children),
        "summary": _summary(e),
        "finding_ids": finding_ids,
    }


def _people(events: list[RecordedEvent]) -> dict[str, list[dict[str, Any]]]:
    children: dict[str, dict[str, str]] = {}
    adults: dict[str, dict[str, str]] = {}
    for e in events:
        for c in e.children:
            children.setdefault(c, {}).setdefault(e.agency, _iso(e.recorded_at))
        for a in e.data.get("adults", []):
            ref = a["person"] if isinstance(a, dict) else a
            adults.setdefault(ref, {}).setdefault(e.agency, _iso(e.recorded_at))
    return {
        "children": [{"ref": r, "known_by": k} for r, k in children.items()],
        "adults": [{"ref": r, "known_by": k} for r, k in adults.items()],
    }


def _by_agency(since: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for eid, agencies in since.items():
        for agency in agencies:
            out.setdefault(agency, []).append(eid)
    return out


def _legal(events: list[RecordedEvent]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for e in events:
        if e.type == "child.placed":
            out.setdefault(str(e.data["child"]), {})[e.agency] = {
                "basis": e.data["legal_basis"],
                "event_id": e.event_id,
                "at": _iso(e.occurred_at),
            }
    return out


def _agreements(events: list[RecordedEvent]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for e in events:
        agreement_id = e.data.get("agreement_id")
        if e.type == "agreement.made":
            out[agreement_id] = {
                **e.data,
                "event_id": e.event_id,
                "refused_by": [],
                "breached_event_ids": [],
            }
        elif e.type == "agreement.party_refused" and agreement_id in out:
            out[agreement_id]["refused_by"].append(e.data["person"])
        elif e.type == "agreement.breached" and agreement_id in out:
            out[agreement_id]["breached_event_ids"].append(e.event_id)
    return list(out.values())


def _obligation(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "rule": f["rule"],
        "due_at": f["due_at"],
        "trigger_event_ids": f["trigger_event_ids"],
        "children": f["children"],
        "to_agency": f["to_agency"],
        "met_at": f["met_at"],
        "met_by_event_id": f["met_by_event_id"],
        "state": "met_late" if f["status"] == "met_late" else "overdue",
    }
