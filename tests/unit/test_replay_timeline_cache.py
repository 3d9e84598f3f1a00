"""The swimlane is drawn once for what it shows: a case page read again, years
after the events, reuses the drawing; a moment inside the axis is drawn anew."""

from datetime import UTC, datetime, timedelta

from services.projection.replay.timeline import _render, render_timeline
from services.projection.replay.view import build_view
from tests.support.scenario import CHILD_K_EVALUATE_AT, scenario_document

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
