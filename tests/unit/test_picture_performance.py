"""A rebuild folds at least 100,000 events/s (CPU time, so a busy machine does not flake it)."""

import time
from dataclasses import replace
from datetime import timedelta

import pytest

from events.records import RecordedEvent
from services.projection.domain import RulePolicy, evaluate, fold_cases
from tests.support.picture import Story, when

ROUND = [
    ("household.recorded", "police", {}),
    ("incident.reported", "police", {}),
    ("disclosure.made", "police", {}),
    ("information.shared", "police", {"to_agency": "edt", "about": "$prev"}),
    ("person.arrested", "police", {}),
    ("strategy_discussion.held", "edt", {"information_shared": "$prev"}),
    ("interview.conducted", "police", {}),
    ("agreement.made", "edt", {}),
    ("agreement.adult_confirmed", "edt", {}),
    ("person.released", "police", {}),
    ("agreement.breached", "edt", {}),
    ("concern.observed", "health", {"significant_harm_suspected": True}),
    ("injury.identified", "health", {}),
    ("information.shared", "health", {"to_agency": "police", "about": "$prev"}),
    ("request.made", "police", {"to_agency": "edt", "about": []}),
    ("request.responded", "edt", {}),
    ("child.placed", "police", {}),
    ("child.placed", "edt", {"legal_basis": "police_protection"}),
    ("medical.attended", "health", {}),
    ("alert.sent", "safeguard", {}),
]


def _one_case(events_per_case: int) -> list[RecordedEvent]:
    story = Story(case_id="template")
    at = when("31 Dec 03:00")
    for i in range(events_per_case):
        type, agency, fields = ROUND[i % len(ROUND)]
        patch = {k: [story.events[-1].event_id] if v == "$prev" else v for k, v in fields.items()}
        story.add(type, agency, at=at + timedelta(minutes=20 * i), **patch)
    return story.events


def _stream(cases: int, events_per_case: int) -> list[RecordedEvent]:
    template = _one_case(events_per_case)
    out = []
    for c in range(cases):
        case_id = f"case-{c}"
        for e in template:
            data = e.data
            if data.get("about"):
                data = {**data, "about": [f"{case_id}/{a}" for a in data["about"]]}
            out.append(replace(e, case_id=case_id, event_id=f"{case_id}/{e.event_id}", data=data))
    return out


@pytest.mark.slow
def test_rebuild_folds_at_least_100000_events_per_second():
    events = _stream(cases=1_000, events_per_case=100)
    policy = RulePolicy.default()
    best = min(_cpu_seconds(lambda: fold_cases(events, policy)) for _ in range(3))
    assert len(events) / best >= 100_000


@pytest.mark.slow
def test_evaluating_every_case_after_a_rebuild_is_quick():
    events = _stream(cases=1_000, events_per_case=100)
    states = fold_cases(events, RulePolicy.default())
    seconds = _cpu_seconds(lambda: [evaluate(s, when("5 Jan 00:00")) for s in states.values()])
    assert seconds < 2.0


def _cpu_seconds(work) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started
