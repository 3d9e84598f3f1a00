"""The fold: chronology, late arrivals, redelivery, resolution, deadlines and replay."""

from dataclasses import replace
from datetime import timedelta

import pytest

from services.projection.domain import (
    as_of,
    evaluate,
    evolve,
    fold,
    initial_state,
    next_deadline,
    picture,
)
from tests.support.picture import Story, when


def _breach_story() -> Story:
    story = Story()
    story.add(
        "agreement.made", "edt", at="31 Dec 18:00", children=["child-k"], protective_adults=[]
    )
    story.add("agreement.breached", "edt", at="1 Jan 16:40")
    return story


def test_picture_has_every_documented_section():
    story = _breach_story()
    shown = picture(story.fold(), when("2 Jan 00:00"))
    assert list(shown) == [
        "case_id",
        "as_of",
        "people",
        "chronology",
        "knowledge",
        "knowledge_since",
        "legal_status",
        "agreements",
        "obligations",
        "findings",
        "unit_knowledge",
    ]
    assert shown["as_of"] == "2017-01-02T00:00:00+00:00"
    assert set(shown["obligations"][0]) >= {
        "rule",
        "due_at",
        "trigger_event_ids",
        "children",
        "to_agency",
        "met_at",
        "met_by_event_id",
        "state",
    }


def test_chronology_orders_by_occurrence_and_shows_how_late_each_was_recorded():
    story = Story()
    later = story.add("concern.observed", "police", at="31 Dec 09:00")
    earlier = story.add("disclosure.made", "police", at="31 Dec 08:00", recorded="31 Dec 10:30")
    rows = picture(story.fold(), when("31 Dec 12:00"))["chronology"]
    assert [r["event_id"] for r in rows] == [earlier.event_id, later.event_id]
    assert rows[0]["recording_delay_seconds"] == 9000
    assert rows[0]["recorded_at"] == "2016-12-31T10:30:00+00:00"
    assert rows[0]["summary"] == "Police: Child-k disclosed harm to a teacher, naming adult-m."


def test_events_that_occurred_together_keep_their_recording_order():
    story = Story()
    first = story.add("concern.observed", "police", at="31 Dec 09:00")
    second = story.add("concern.observed", "health", at="31 Dec 09:00")
    rows = picture(story.fold(), when("31 Dec 12:00"))["chronology"]
    assert [r["event_id"] for r in rows] == [first.event_id, second.event_id]


def test_chronology_names_the_findings_each_event_triggered():
    story = _breach_story()
    shown = picture(story.fold(), when("2 Jan 18:00"))
    breach_row = shown["chronology"][1]
    ids = {f["finding_id"] for f in shown["findings"]}
    assert set(breach_row["finding_ids"]) == ids
    assert {f["rule"] for f in shown["findings"]} == {"not-shared", "review-discussion-due"}


def test_share_recorded_late_refolds_and_settles_the_breach_in_time():
    story = _breach_story()
    live = story.fold()
    assert [f.status for f in evaluate(live, when("1 Jan 18:00"))] == ["open"]
    late = story.add(
        "information.shared",
        "edt",
        at="1 Jan 17:00",
        recorded="1 Jan 23:00",
        to_agency="police",
        about=[story.events[1].event_id],
    )
    story.add("concern.observed", "police", at="1 Jan 20:00")
    live = evolve(live, story.events[-1])
    assert live.needs_refold(late)
    live = evolve(live, late)
    assert evaluate(
        live,
        when("1 Jan 23:00"),
    ) == evaluate(story.fold(), when("1 Jan 23:00"))
    assert [f.rule for f in evaluate(live, when("1 Jan 23:00"))] == []


def test_redelivered_event_is_ignored():
    story = _breach_story()
    state = story.fold()
    again = evolve(state, story.events[1])
    assert again is state
    assert len(state.events) == 2


def test_event_of_another_case_is_refused():
    story = _breach_story()
    with pytest.raises(ValueError):
        evolve(story.fold(), replace(story.events[0], case_id="other", event_id="x"))


def test_alerts_and_resolutions_are_in_the_chronology_but_trigger_nothing():
    story = Story()
    story.add("alert.sent", "safeguard", at="31 Dec 08:00")
    story.add("finding.resolved", "safeguard", at="31 Dec 08:05")
    shown = picture(story.fold(), when("3 Jan 00:00"))
    assert [r["type"] for r in shown["chronology"]] == ["alert.sent", "finding.resolved"]
    assert shown["obligations"] == shown["findings"] == []
    assert shown["knowledge"] == {}


def test_duty_manager_resolution_closes_the_finding_from_then_on():
    story = _breach_story()
    [finding] = story.findings("1 Jan 18:00", "not-shared")
    story.add(
        "finding.resolved",
        "safeguard",
        at="1 Jan 19:00",
        finding_id=finding.finding_id,
        by="duty-manager-1",
        reason="Police told by phone; recorded on their system.",
    )
    [before] = story.findings("1 Jan 18:30", "not-shared")
    [after] = story.findings("1 Jan 19:00", "not-shared")
    assert before.status == "open"
    assert (after.status, after.resolved_by) == ("resolved", "duty-manager-1")
    assert after.resolved_at == when("1 Jan 19:00")
    assert after.resolution_reason == "Police told by phone; recorded on their system."
    assert after.finding_id == finding.finding_id


def test_findings_from_bulk_imported_history_are_marked_historical():
    story = Story()
    story.add("disclosure.made", "police", at="31 Dec 08:00", metadata={"import": "historical"})
    story.add("concern.observed", "police", at="31 Dec 09:00")
    found = story.findings("2 Jan 00:00")
    assert {(f.trigger_event_ids[0][-1], f.historical) for f in found} == {
        ("1", True),
        ("2", False),
    }


def test_finding_ids_are_the_same_on_every_rebuild():
    story = _breach_story()
    first = [f.finding_id for f in story.findings("3 Jan 00:00")]
    again = [
        f.finding_id
        for f in evaluate(fold(reversed(story.events), story.policy), when("3 Jan 00:00"))
    ]
    assert first == again and len(set(first)) == len(first)


# next_deadline


def test_next_deadline_is_the_earliest_unmet_deadline_after_now():
    story = _breach_story()
    state = story.fold()
    assert next_deadline(state, when("1 Jan 16:40")) == when("1 Jan 17:40")
    assert next_deadline(state, when("1 Jan 17:40")) == when("2 Jan 16:40")
    assert next_deadline(state, when("2 Jan 16:40")) is None


def test_next_deadline_skips_obligations_already_met():
    story = _breach_story()
    story.add(
        "information.shared",
        "edt",
        at="1 Jan 17:00",
        to_agency="police",
        about=[story.events[1].event_id],
    )
    assert next_deadline(story.fold(), when("1 Jan 17:00")) == when("2 Jan 16:40")


def test_a_finding_opens_at_the_deadline_with_no_further_event():
    story = _breach_story()
    state = story.fold()
    wake = next_deadline(state, when("1 Jan 16:41"))
    assert wake is not None
    assert evaluate(state, wake - timedelta(seconds=1)) == []
    assert [f.rule for f in evaluate(state, wake)] == ["not-shared"]


# as_of


def test_as_of_keeps_what_had_occurred_and_optionally_what_had_been_recorded():
    story = Story()
    on_time = story.add("disclosure.made", "police", at="31 Dec 08:00")
    late = story.add(
        "information.shared",
        "police",
        at="31 Dec 08:30",
        recorded="31 Dec 12:00",
        to_agency="edt",
        about=[on_time.event_id],
    )
    story.add("concern.observed", "police", at="31 Dec 10:00")
    assert as_of(story.events, when("31 Dec 09:00")) == [on_time, late]
    assert as_of(story.events, when("31 Dec 09:00"), recorded_by=when("31 Dec 11:00")) == [on_time]


def test_replay_as_of_a_moment_equals_the_full_state_evaluated_then():
    story = _breach_story()
    story.add(
        "information.shared",
        "edt",
        at="1 Jan 18:40",
        to_agency="police",
        about=[story.events[1].event_id],
    )
    for moment in ("31 Dec 18:00", "1 Jan 17:00", "1 Jan 18:00", "1 Jan 19:00", "3 Jan 00:00"):
        t = when(moment)
        replayed = fold(as_of(story.events, t), story.policy, case_id=story.case_id)
        assert picture(replayed, t) == picture(story.fold(), t)


def test_empty_case_has_an_empty_picture():
    shown = picture(initial_state("case-k", Story().policy), when("1 Jan 00:00"))
    assert shown["chronology"] == shown["findings"] == shown["obligations"] == []
