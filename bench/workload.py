"""A generated multi-agency workload: many cases, each a plausible story that
exercises knowledge sharing, strategy discussions, agreements and findings.

Every envelope comes from a template validated once by the real contract
(``events.parse_envelope``); only ids, case ids and times vary per event.
Deterministic: the same arguments give the same events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from events import Submission, canonical, parse_envelope

NAMESPACE = uuid.UUID("5afe9a4d-0000-4000-8000-00000000be9c")
START = datetime(2025, 1, 3, 18, 0, tzinfo=UTC)

# (agency, type, data, minutes after the previous event); "$prev" = previous event id
STORY: list[tuple[str, str, dict[str, Any], int]] = [
    (
        "police",
        "household.recorded",
        {
            "children": ["child-a", "baby-b"],
            "adults": [
                {"person": "mother", "relationship": "mother"},
                {"person": "partner", "relationship": "mother's partner"},
            ],
        },
        0,
    ),
    (
        "police",
        "incident.reported",
        {
            "kind": "domestic_abuse",
            "adults": ["mother", "partner"],
            "children_present": ["child-a", "baby-b"],
            "summary": "Officers attended a 999 call.",
        },
        5,
    ),
    (
        "police",
        "disclosure.made",
        {
            "child": "child-a",
            "alleged_perpetrator": "partner",
            "made_to": "attending officer",
            "summary": "Said the partner pushed him.",
        },
        20,
    ),
    (
        "police",
        "information.shared",
        {
            "to_agency": "edt",
            "about": ["$prev"],
            "method": "phone",
            "summary": "Disclosure passed to EDT.",
        },
        15,
    ),
    (
        "police",
        "person.arrested",
        {"person": "partner", "offence": "assault", "related_children": ["child-a"]},
        10,
    ),
    (
        "edt",
        "strategy_discussion.held",
        {
            "kind": "initial",
            "attendees": [
                {"agency": "police", "role": "DS"},
                {"agency": "edt", "role": "social worker"},
                {"agency": "health", "role": "named nurse"},
            ],
            "children_considered": ["child-a", "baby-b"],
            "s47_enquiry": True,
            "decisions": "Joint s47 enquiry.",
            "information_shared": ["$prev"],
        },
        30,
    ),
    (
        "police",
        "interview.conducted",
        {
            "child": "child-a",
            "kind": "abe",
            "child_sustained_allegation": True,
            "summary": "ABE interview held as planned.",
        },
        60,
    ),
    (
        "edt",
        "agreement.made",
        {
            "agreement_id": "agr-1",
            "children": ["child-a", "baby-b"],
            "conditions": ["No unsupervised contact with the partner."],
            "signed_by": ["mother"],
            "protective_adults": [{"person": "grandmother", "confirmed": False}],
        },
        30,
    ),
    ("edt", "agreement.adult_confirmed", {"agreement_id": "agr-1", "person": "grandmother"}, 45),
    (
        "police",
        "person.released",
        {
            "person": "partner",
            "outcome": "police_bail",
            "bail_conditions": "Not to attend the address.",
            "for_offences": ["assault"],
        },
        60,
    ),
    (
        "edt",
        "agreement.breached",
        {"agreement_id": "agr-1", "summary": "Partner found at the home."},
        600,
    ),
    (
        "health",
        "concern.observed",
        {
            "child": "baby-b",
            "category": "injury",
            "concern": "Bruise on the cheek.",
            "source": "professional",
            "significant_harm_suspected": True,
        },
        120,
    ),
    (
        "health",
        "injury.identified",
        {"child": "baby-b", "injury": "Facial bruising", "non_accidental_suspected": True},
        30,
    ),
    (
        "health",
        "information.shared",
        {
            "to_agency": "police",
            "about": ["$prev"],
            "method": "secure_system",
            "summary": "Injury shared with police.",
        },
        20,
    ),
    (
        "police",
        "request.made",
        {
            "request_id": "req-1",
            "to_agency": "edt",
            "kind": "strategy_discussion",
            "about": ["$prev"],
            "summary": "Please convene.",
        },
        10,
    ),
    (
        "edt",
        "request.responded",
        {"request_id": "req-1", "outcome": "accepted", "reason": "Convening now."},
        15,
    ),
    (
        "edt",
        "strategy_discussion.held",
        {
            "kind": "review",
            "attendees": [{"agency": "police", "role": "DS"}, {"agency": "edt", "role": "manager"}],
            "children_considered": ["baby-b"],
            "s47_enquiry": True,
            "decisions": "Review after the injury.",
        },
        40,
    ),
    (
        "police",
        "child.placed",
        {"child": "child-a", "placed_with": "grandparents", "legal_basis": "s20"},
        60,
    ),
    (
        "edt",
        "child.placed",
        {"child": "child-a", "placed_with": "grandparents", "legal_basis": "police_protection"},
        5,
    ),
    (
        "health",
        "medical.attended",
        {
            "child": "baby-b",
            "setting": "emergency_department",
            "presenting_complaint": "Review of bruising",
            "reported_injury_time": None,
            "brought_by": "grandmother",
        },
        90,
    ),
]

_TEMPLATES = [
    (
        agency,
        type_,
        data,
        minutes,
        canonical(
            parse_envelope(
                {
                    "event_id": str(uuid.uuid4()),
                    "case_id": "template",
                    "type": type_,
                    "occurred_at": START.isoformat(),
                    "children": [],
                    "actor": {"role": "officer"},
                    "data": {
                        k: ([str(uuid.uuid4())] if v == ["$prev"] else v) for k, v in data.items()
                    },
                }
            )
        ),
    )
    for agency, type_, data, minutes in STORY
]


def case_events(case_id: str, count: int, start: datetime = START) -> Iterator[Submission]:
    """``count`` events of one case: the story repeated, each round a day later."""
    at, previous = start, ""
    for index in range(count):
        agency, _type, data, minutes, template = _TEMPLATES[index % len(_TEMPLATES)]
        at += timedelta(minutes=minutes or 1)
        event_id = str(uuid.uuid5(NAMESPACE, f"{case_id}/{index}"))
        envelope = dict(template)
        envelope.update(event_id=event_id, case_id=case_id, occurred_at=_iso(at))
        if any(v == ["$prev"] for v in data.values()):
            envelope["data"] = {
                k: ([previous] if v == ["$prev"] else template["data"][k]) for k, v in data.items()
            }
        previous = event_id
        yield Submission(envelope=envelope, agency=agency)


def workload(cases: int, events_per_case: int) -> Iterator[list[Submission]]:
    """One batch per round-robin slice, so cases interleave in the stream as they would."""
    streams = [case_events(f"case-{i:06d}", events_per_case) for i in range(cases)]
    for _ in range(events_per_case):
        yield [next(stream) for stream in streams]


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
