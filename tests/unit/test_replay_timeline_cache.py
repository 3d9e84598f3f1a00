"""The swimlane is drawn once for what it shows: a case page read again, years
after the events, reuses the drawing; a moment inside the axis is drawn anew."""

from datetime import UTC, datetime, timedelta

from events.agencies import SYSTEM_AGENCY
from events.records import RecordedEvent
from services.projection.domain.rules import default_policy
from services.projection.replay.timeline import _render, layout, render_timeline
from services.projection.replay.view import build_view
from services.projection.review import review_document
from tests.support.factories import make_submission
from tests.support.scenario import CHILD_K_EVALUATE_AT, recorded_events, scenario_document

YEARS_LATER = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


def test_a_past_case_read_again_later_reuses_its_swimlane() -> None:
    first = build_view(scenario_document("child-k", at=YEARS_LATER))
    again = build_view(scenario_document("child-k", at=YEARS_LATER + timedelta(minutes=5)))

    drawn = render_timeline(first)

    assert render_timeline(again) is drawn
    assert drawn == _render(again)  # the moment, past the axis, changes nothing drawn


def test_a_moment_inside_the_axis_is_drawn_at_each_moment() -> None:
    then = build_view(scenario_document("child-k", at=CHILD_K_EVALUATE_AT))
    later = build_view(scenario_document("child-k", at=CHILD_K_EVALUATE_AT + timedelta(hours=1)))

    first, second = render_timeline(then), render_timeline(later)

    assert first != second
    assert first == _render(then) and second == _render(later)
    assert 'class="as-of"' in first and 'class="as-of"' in second


def test_alerts_sent_years_after_the_events_leave_the_axis_at_the_case_scale() -> None:
    """A demo or an import: Safeguard pages today about events of years ago. Its own
    records keep their lane, drawn at the axis's edge, and do not stretch the axis."""
    events = recorded_events("child-k")
    case_id, after = events[0].case_id, len(events)
    alerts = [
        RecordedEvent.from_submission(
            make_submission(
                SYSTEM_AGENCY, type="alert.sent", case_id=case_id, occurred_at=YEARS_LATER
            ),
            position=after + n,
            stream_version=after + n,
            recorded_at=YEARS_LATER,
        )
        for n in (1, 2, 3)
    ]
    document = review_document(
        case_id,
        [*events, *alerts],
        default_policy(),
        at=YEARS_LATER,
        recorded_by=None,
        generated_at=YEARS_LATER,
    )

    box = layout(build_view(document))

    assert box.scale.end - box.scale.start < timedelta(days=7)
    assert SYSTEM_AGENCY in box.lanes


def test_only_the_agencies_guidance_requires_are_marked_absent_from_a_strategy_discussion() -> None:
    """A school in the case is not 'missing' from a strategy discussion: police, social
    care and health are the ones Working Together requires."""
    events = recorded_events("child-k")
    school = RecordedEvent.from_submission(
        make_submission(
            "education",
            type="concern.observed",
            case_id=events[0].case_id,
            occurred_at=CHILD_K_EVALUATE_AT - timedelta(days=1),
        ),
        position=len(events) + 1,
        stream_version=len(events) + 1,
        recorded_at=CHILD_K_EVALUATE_AT - timedelta(days=1),
    )
    document = review_document(
        events[0].case_id,
        [*events, school],
        default_policy(),
        at=CHILD_K_EVALUATE_AT,
        recorded_by=None,
        generated_at=CHILD_K_EVALUATE_AT,
    )

    drawn = _render(build_view(document))

    assert 'class="lane" data-agency="education"' in drawn
    assert 'class="absent" data-agency="health"' in drawn  # Child K's first discussion
    assert 'class="absent" data-agency="education"' not in drawn
