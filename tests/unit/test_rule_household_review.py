"""Household members one agency knows and another's record omits; review discussions
that must name the matter (off by default: see docs/rules.md)."""

from infra.config.rules import RuleOverride, RuleSettings
from services.projection.domain import evaluate, fold
from services.projection.domain.rules import policy_from_settings
from tests.support.picture import Story
from tests.support.scenario import CHILD_K_EVALUATE_AT, ids, recorded_events

UNRECORDED = "household-member-unrecorded"
MATTER = "review-matter-not-discussed"
MOTHER = {"person": "mother", "relationship": "mother", "resident": True}
PARTNER = {"person": "adult-m", "relationship": "mother's partner", "resident": True}


def test_member_reported_to_school_missing_from_social_care_record_after_24h():
    story = Story()
    record = story.add(
        "household.recorded", "children_social_care", at="1 Jan 09:00", adults=[MOTHER]
    )
    report = story.add("household_member.reported", "education", at="1 Jan 12:00")

    assert story.findings("2 Jan 11:59", UNRECORDED) == []
    [finding] = story.findings("2 Jan 12:00", UNRECORDED)

    assert finding.to_agency == "children_social_care"
    assert finding.trigger_event_ids == (record.event_id, report.event_id)
    assert finding.explanation.startswith(
        "Education recorded adult-m as part of the household at 1 Jan 12:00; children's "
        "social care's household record of 1 Jan 09:00 does not include them"
    )


def test_a_later_record_without_a_resident_another_agency_recorded_is_a_gap():
    story = Story()
    story.add("household.recorded", "police", at="1 Jan 09:00", adults=[MOTHER, PARTNER])
    story.add("household.recorded", "health", at="1 Jan 10:00", adults=[MOTHER])

    [finding] = story.findings("2 Jan 10:00", UNRECORDED)
    assert finding.to_agency == "health"


def test_recording_the_member_in_time_meets_it():
    story = Story()
    story.add("household.recorded", "children_social_care", at="1 Jan 09:00", adults=[MOTHER])
    story.add("household_member.reported", "education", at="1 Jan 12:00")
    story.add(
        "household.recorded", "children_social_care", at="1 Jan 15:00", adults=[MOTHER, PARTNER]
    )

    assert story.findings("3 Jan 12:00", UNRECORDED) == []


def test_being_told_is_not_recording_a_late_record_is_met_late():
    story = Story()
    story.add("household.recorded", "children_social_care", at="1 Jan 09:00", adults=[MOTHER])
    report = story.add("household_member.reported", "education", at="1 Jan 12:00")
    story.add(
        "information.shared",
        "education",
        at="1 Jan 12:10",
        to_agency="children_social_care",
        about=[report.event_id],
    )
    story.add("household_member.reported", "children_social_care", at="3 Jan 09:00")

    [finding] = story.findings("3 Jan 12:00", UNRECORDED)
    assert finding.status == "met_late"


def test_relatives_living_elsewhere_and_an_agencys_own_record_are_no_gap():
    story = Story()
    story.add(
        "household.recorded",
        "edt",
        at="1 Jan 09:00",
        adults=[MOTHER, {"person": "grandmother", "relationship": "lives elsewhere"}],
    )
    story.add("household.recorded", "police", at="1 Jan 10:00", adults=[MOTHER])
    story.add("household_member.reported", "police", at="1 Jan 11:00")

    # the grandmother is no gap; the partner the police were told of is, for EDT only
    assert [f.to_agency for f in story.findings("3 Jan 12:00", UNRECORDED)] == ["edt"]


def _enabled() -> Story:
    policy = policy_from_settings(RuleSettings(overrides={MATTER: RuleOverride(enabled=True)}))
    return Story(policy=policy)


def _breach_then_discussion(story: Story, *, named: bool) -> None:
    story.add("agreement.made", "edt", at="1 Jan 09:00", agreement_id="agreement-1")
    breach = story.add("agreement.breached", "edt", at="1 Jan 12:00")
    story.add(
        "strategy_discussion.held",
        "edt",
        at="1 Jan 15:00",
        children_considered=["child-k"],
        information_shared=[breach.event_id] if named else [],
    )


def test_enabled_a_discussion_that_does_not_name_the_breach_does_not_review_it():
    story = _enabled()
    _breach_then_discussion(story, named=False)

    [finding] = story.findings("2 Jan 12:00", MATTER)
    assert "; no strategy discussion has named it (due 2 Jan 12:00)" in finding.explanation
    assert story.findings("2 Jan 12:00", "review-discussion-due") == []


def test_enabled_a_discussion_naming_the_breach_meets_it():
    story = _enabled()
    _breach_then_discussion(story, named=True)

    assert story.findings("2 Jan 12:00", MATTER) == []


def test_off_by_default_so_child_k_keeps_its_findings_and_enabled_it_adds_the_four_unnamed():
    events = recorded_events("child-k")
    slug = {v: k for k, v in ids("child-k").items()}
    off = evaluate(fold(events, Story().policy), CHILD_K_EVALUATE_AT)
    on = evaluate(fold(events, _enabled().policy), CHILD_K_EVALUATE_AT)

    assert not [f for f in off if f.rule == MATTER]
    added = sorted(slug[f.trigger_event_ids[0]] for f in on if f.rule == MATTER)
    assert added == [
        "ck-13-released-bail",
        "ck-14-released-nfa",
        "ck-15-father-refuses",
        "ck-16-breach",
    ]
    assert len(on) == len(off) + 4


def test_police_no_charge_and_a_return_home_make_a_review_discussion_due():
    story = Story()
    story.add(
        "person.arrested",
        "police",
        at="1 Jan 09:00",
        person="adult-m",
        related_children=["child-k"],
    )
    story.add("police_action.taken", "police", at="1 Jan 12:00")
    story.add("placement.ended", "children_social_care", at="1 Jan 13:00")

    found = story.findings("2 Jan 13:00", "review-discussion-due")
    assert len(found) == 2


def test_police_action_short_of_a_decision_or_a_move_elsewhere_needs_no_review():
    story = Story()
    story.add(
        "person.arrested",
        "police",
        at="1 Jan 09:00",
        person="adult-m",
        related_children=["child-k"],
    )
    story.add(
        "police_action.taken",
        "police",
        at="1 Jan 12:00",
        action="voluntary_interview",
        charging_decision=None,
    )
    story.add(
        "placement.ended",
        "children_social_care",
        at="1 Jan 13:00",
        outcome="moved_placement",
        returned_to=None,
    )

    assert story.findings("3 Jan 13:00", "review-discussion-due") == []
