"""Properties of the fold: arrival order never matters, and replay equals live.

Stories are drawn at random from event templates that exercise every rule, with
random occurrence times, random recording delays and sharing that may point at
any earlier-drawn event (including ones its sharer never knew).
"""

import os
from dataclasses import replace
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.records import RecordedEvent
from services.projection.domain import (
    as_of,
    evaluate,
    evolve,
    fold,
    initial_state,
    picture,
)
from services.projection.domain.rules import default_policy
from tests.support.picture import CASE, Story, when

START = when("31 Dec 03:00")
AGENCIES = ("police", "edt", "health")
CHILDREN = ("child-k", "sibling")
ATTENDEES = [{"agency": a, "role": "x"} for a in AGENCIES]

TEMPLATES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "household.recorded",
        "police",
        {"children": list(CHILDREN), "adults": [{"person": "father", "relationship": "f"}]},
    ),
    ("incident.reported", "police", {"children_present": ["sibling"]}),
    ("disclosure.made", "police", {"child": "sibling", "alleged_perpetrator": "father"}),
    ("disclosure.made", "health", {"child": "child-k"}),
    ("concern.observed", "health", {"child": "child-k", "significant_harm_suspected": True}),
    ("injury.identified", "health", {"child": "child-k"}),
    ("person.arrested", "police", {"person": "father", "related_children": ["sibling"]}),
    ("person.released", "police", {"person": "father"}),
    ("interview.conducted", "police", {"child": "sibling"}),
    ("strategy_discussion.held", "edt", {"children_considered": ["sibling"]}),
    (
        "strategy_discussion.held",
        "edt",
        {"children_considered": list(CHILDREN), "attendees": ATTENDEES},
    ),
    ("agreement.made", "edt", {"children": list(CHILDREN)}),
    ("agreement.adult_confirmed", "edt", {}),
    ("agreement.party_refused", "edt", {"person": "father"}),
    ("agreement.breached", "edt", {}),
    ("child.placed", "police", {"child": "sibling", "legal_basis": "s20"}),
    ("child.placed", "edt", {"child": "sibling", "legal_basis": "police_protection"}),
    ("child.placed", "edt", {"child": "child-k", "legal_basis": "none"}),
    ("police_protection.invoked", "police", {"children": ["sibling"]}),
    ("police_protection.ended", "police", {"children": ["sibling"]}),
    ("medical.attended", "health", {"reported_injury_time": "2016-12-31T03:00:00+00:00"}),
    ("request.made", "police", {"to_agency": "edt", "about": []}),
    ("request.responded", "edt", {"outcome": "declined"}),
    ("alert.sent", "safeguard", {}),
]
SHARE = len(TEMPLATES)


@st.composite
def stories(draw: st.DrawFn) -> list[RecordedEvent]:
    """Events of one case, positioned in the order they were recorded."""
    story = Story()
    for _ in range(draw(st.integers(1, 18))):
        minute = draw(st.integers(0, 3 * 24 * 60))
        delay = draw(st.sampled_from([0, 0, 0, 5, 90, 600]))
        at = START + timedelta(minutes=minute)
        choice = draw(st.integers(0, SHARE if story.events else SHARE - 1))
        if choice == SHARE:
            about = draw(st.sampled_from(story.events)).event_id
            story.add(
                "information.shared",
                draw(st.sampled_from(AGENCIES)),
                at=at,
                recorded=at + timedelta(minutes=delay),
                to_agency=draw(st.sampled_from(AGENCIES)),
                about=[about],
            )
        else:
            type, agency, fields = TEMPLATES[choice]
            story.add(type, agency, at=at, recorded=at + timedelta(minutes=delay), **fields)
    by_recording = sorted(story.events, key=lambda e: (e.recorded_at, e.position))
    return [replace(e, position=i + 1) for i, e in enumerate(by_recording)]


def moments(events: list[RecordedEvent]) -> list:
    times = sorted({e.occurred_at for e in events} | {e.recorded_at for e in events})
    return [*times, times[-1] + timedelta(days=2)]


POLICY = default_policy()
PROPERTY = settings(
    max_examples=int(os.environ.get("SAFEGUARD_PROPERTY_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(events=stories(), data=st.data())
def test_any_arrival_order_gives_the_same_picture_and_findings(events, data):
    arrival = data.draw(st.permutations(events))
    live = initial_state(CASE, POLICY)
    for event in [*arrival, *arrival[:3]]:  # and some redelivered
        live = evolve(live, event)
    rebuilt = fold(events, POLICY)
    for t in moments(events)[::3]:
        assert picture(live, t) == picture(rebuilt, t)


@PROPERTY
@given(events=stories(), data=st.data())
def test_renumbered_positions_change_no_finding_when_times_differ(events, data):
    """A rebuild into a store that numbers positions differently names the same findings."""
    distinct = [
        replace(e, occurred_at=e.occurred_at + timedelta(seconds=i)) for i, e in enumerate(events)
    ]
    order = data.draw(st.permutations(range(len(distinct))))
    renumbered = [replace(e, position=order[i] + 1) for i, e in enumerate(distinct)]
    at = moments(distinct)[-1]
    assert evaluate(fold(renumbered, POLICY), at) == evaluate(fold(distinct, POLICY), at)


@PROPERTY
@given(events=stories())
def test_replay_as_of_any_moment_equals_the_full_state_then(events):
    full = fold(events, POLICY)
    for t in moments(events):
        replayed = fold(as_of(events, t), POLICY, case_id=CASE)
        assert evaluate(replayed, t) == evaluate(full, t)
        assert picture(replayed, t) == picture(full, t)


@PROPERTY
@given(events=stories())
def test_replay_of_what_was_recorded_by_a_moment_equals_what_live_showed_then(events):
    """Live: events arrive in recording order; at each moment the service evaluates."""
    checkpoints = moments(events)
    live = initial_state(CASE, POLICY)
    pending = sorted(events, key=lambda e: e.position)
    for t in checkpoints:
        while pending and pending[0].recorded_at <= t:
            live = evolve(live, pending.pop(0))
        replayed = fold(as_of(events, t, recorded_by=t), POLICY, case_id=CASE)
        assert evaluate(replayed, t) == evaluate(live, t)
