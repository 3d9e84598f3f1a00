"""Children under protection: injuries shared whatever the clinician's view, children
seen at visits (rules from the Peter Connelly and Logan Mwangi reviews)."""

from tests.support.picture import Story, when

INJURY = "protected-child-injury-not-shared"
NOT_SEEN = "child-not-seen-on-visit"
ACCIDENTAL = {"non_accidental_suspected": False, "injury": "Bruise to the cheek."}


def test_injury_to_a_child_on_a_plan_not_shared_in_an_hour_is_a_finding_per_agency():
    story = Story()
    story.add("plan.started", "children_social_care", at="1 Jan 09:00")
    injury = story.add("injury.identified", "health", at="2 Jan 10:00", **ACCIDENTAL)

    assert story.findings("2 Jan 10:59", INJURY) == []
    found = story.findings("2 Jan 11:00", INJURY)

    assert sorted(f.to_agency or "" for f in found) == ["children_social_care", "police"]
    assert all(f.trigger_event_ids == (injury.event_id,) for f in found)
    assert found[0].explanation.startswith(
        "Health recorded at 2 Jan 10:00 an injury to child-k (Bruise to the cheek), "
        "who is on a child protection plan"
    )


def test_edt_hearing_meets_the_social_care_duty_and_police_hearing_meets_theirs():
    story = Story()
    story.add("plan.started", "children_social_care", at="1 Jan 09:00")
    injury = story.add("injury.identified", "health", at="2 Jan 10:00", **ACCIDENTAL)
    for to in ("edt", "police"):
        story.add(
            "information.shared", "health", at="2 Jan 10:30", to_agency=to, about=[injury.event_id]
        )

    assert story.findings("3 Jan 10:00", INJURY) == []


def test_a_non_mobile_baby_is_protected_without_any_plan():
    story = Story()
    story.add("injury.identified", "health", at="2 Jan 10:00", child_mobile=False, **ACCIDENTAL)

    assert len(story.findings("2 Jan 11:00", INJURY)) == 2


def test_a_child_subject_of_a_section_47_discussion_is_protected():
    story = Story()
    story.add(
        "strategy_discussion.held",
        "edt",
        at="1 Jan 09:00",
        children_considered=["child-k"],
        s47_enquiry=True,
    )
    story.add("injury.identified", "health", at="2 Jan 10:00", **ACCIDENTAL)

    assert len(story.findings("2 Jan 11:00", INJURY)) == 2


def test_an_accidental_injury_to_a_mobile_child_with_no_plan_owes_nothing():
    story = Story()
    story.add("injury.identified", "health", at="2 Jan 10:00", child_mobile=True, **ACCIDENTAL)

    assert story.findings("3 Jan 10:00") == []


def test_after_the_plan_ends_an_accidental_injury_owes_nothing_under_this_rule():
    story = Story()
    story.add("plan.started", "children_social_care", at="1 Jan 09:00")
    story.add("plan.ended", "children_social_care", at="1 Jan 12:00")
    story.add("injury.identified", "health", at="2 Jan 10:00", **ACCIDENTAL)

    assert story.findings("3 Jan 10:00", INJURY) == []


def test_a_suspected_non_accidental_injury_is_left_to_not_shared_not_counted_twice():
    story = Story()
    story.add("plan.started", "children_social_care", at="1 Jan 09:00")
    story.add("injury.identified", "health", at="2 Jan 10:00", child_mobile=False)

    rules = {f.rule for f in story.findings("3 Jan 10:00")}
    assert INJURY not in rules and "not-shared" in rules


def test_a_conference_decision_for_a_plan_puts_the_child_on_it():
    story = Story()
    story.add("conference.held", "children_social_care", at="1 Jan 09:00")
    story.add("injury.identified", "health", at="2 Jan 10:00", **ACCIDENTAL)

    assert len(story.findings("2 Jan 11:00", INJURY)) == 2


def test_child_on_a_plan_not_seen_at_a_home_visit_is_a_finding_at_once():
    story = Story()
    story.add("plan.started", "children_social_care", at="1 Jan 09:00")
    visit = story.add("home_visit.made", "children_social_care", at="2 Jan 10:00")

    [finding] = story.findings("2 Jan 10:00", NOT_SEEN)

    assert (finding.trigger_event_ids, finding.due_at) == ((visit.event_id,), when("2 Jan 10:00"))
    assert finding.explanation.startswith(
        "Children's social care visited the home at 2 Jan 10:00 and did not see child-k, "
        "who is on a child protection plan"
    )


def test_child_seen_at_the_visit_or_not_on_a_plan_raises_nothing():
    seen = Story()
    seen.add("plan.started", "children_social_care", at="1 Jan 09:00")
    seen.add("home_visit.made", "children_social_care", at="2 Jan 10:00", child_seen=True)
    no_plan = Story()
    no_plan.add("home_visit.made", "children_social_care", at="2 Jan 10:00")
    ended = Story()
    ended.add("plan.started", "children_social_care", at="1 Jan 09:00")
    ended.add("plan.ended", "children_social_care", at="1 Jan 12:00")
    ended.add("home_visit.made", "children_social_care", at="2 Jan 10:00")

    assert [s.findings("3 Jan 10:00", NOT_SEEN) for s in (seen, no_plan, ended)] == [[], [], []]
