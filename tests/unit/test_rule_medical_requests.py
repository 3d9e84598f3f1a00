"""Delayed medical attention, and requests declined or left unanswered."""

from datetime import UTC, datetime

from tests.support.picture import Story, when


def test_child_k_seen_three_days_after_the_reported_injury_is_delayed_attention():
    story = Story()
    seen = story.add(
        "medical.attended",
        "health",
        at="2 Jan 10:00",
        child="child-k",
        reported_injury_time="2016-12-31T03:00:00+00:00",
    )
    [finding] = story.findings("2 Jan 10:00", "delayed-medical-attention")
    assert (finding.status, finding.due_at) == ("open", seen.occurred_at)
    assert finding.explanation == (
        "Child-k was seen at 2 Jan 10:00, 2 days 7h after the injury reported at 31 Dec 03:00."
    )


def test_child_seen_within_24_hours_of_the_injury_is_not_delayed():
    story = Story()
    story.add(
        "medical.attended",
        "health",
        at="31 Dec 20:00",
        reported_injury_time=datetime(2016, 12, 31, 3, 0, tzinfo=UTC),
    )
    assert story.findings("3 Jan 00:00", "delayed-medical-attention") == []


def test_attendance_without_a_reported_injury_time_cannot_be_judged_delayed():
    story = Story()
    story.add("medical.attended", "health", at="2 Jan 10:00", reported_injury_time=None)
    assert story.findings("3 Jan 00:00", "delayed-medical-attention") == []


def test_request_unanswered_for_an_hour_opens_a_finding():
    story = Story()
    story.add(
        "request.made",
        "police",
        at="31 Dec 12:00",
        to_agency="edt",
        about=[],
        kind="attend_interview",
    )
    assert story.findings("31 Dec 12:59", "request-unanswered") == []
    [finding] = story.findings("31 Dec 13:00", "request-unanswered")
    assert finding.explanation == (
        "Police asked EDT at 31 Dec 12:00 to attend an interview; EDT has not answered (due 13:00)."
    )


def test_request_answered_within_the_hour_is_fine():
    story = Story()
    story.add("request.made", "police", at="31 Dec 12:00", to_agency="edt", about=[])
    story.add("request.responded", "edt", at="31 Dec 12:30", outcome="accepted")
    assert story.findings("1 Jan 12:00") == []


def test_request_declined_is_a_finding_at_once_naming_request_and_answer():
    story = Story()
    request = story.add("request.made", "police", at="31 Dec 12:00", to_agency="edt", about=[])
    answer = story.add(
        "request.responded",
        "edt",
        at="31 Dec 12:30",
        outcome="declined",
        reason="No social worker free.",
    )
    [finding] = story.findings("31 Dec 12:30", "request-declined")
    assert finding.trigger_event_ids == (request.event_id, answer.event_id)
    assert finding.due_at == when("31 Dec 12:30")
    assert finding.explanation.endswith("for a medical examination: No social worker free.")


def test_answer_to_an_unknown_request_raises_nothing():
    story = Story()
    story.add(
        "request.responded", "edt", at="31 Dec 12:30", outcome="declined", request_id="nowhere"
    )
    assert story.findings("1 Jan 12:00") == []
