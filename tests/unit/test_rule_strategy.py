"""Strategy discussions: due after suspected harm, before interviews, complete, all children."""

from tests.support.picture import Story, when

ALL_THREE = [
    {"agency": "police", "role": "DS"},
    {"agency": "edt", "role": "EDT manager"},
    {"agency": "health", "role": "Paediatrician"},
]


def _household(story: Story) -> None:
    story.add(
        "household.recorded",
        "police",
        at="31 Dec 03:00",
        data={
            "children": ["child-k", "sibling"],
            "adults": [{"person": "father", "relationship": "father"}],
        },
    )


def _discussion(story: Story, at: str, children: list[str], attendees=None, kind="initial"):
    return story.add(
        "strategy_discussion.held",
        "edt",
        at=at,
        kind=kind,
        attendees=ALL_THREE if attendees is None else attendees,
        children_considered=children,
    )


# strategy-discussion-missing


def test_disclosure_without_strategy_discussion_opens_finding_after_24_hours():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00", child="sibling")
    assert story.findings("1 Jan 07:59", "strategy-discussion-missing") == []
    [finding] = story.findings("1 Jan 08:00", "strategy-discussion-missing")
    assert finding.children == ("sibling",)
    assert finding.trigger_event_ids == (disclosure.event_id,)


def test_strategy_discussion_considering_the_child_within_24_hours_meets_it():
    story = Story()
    story.add("disclosure.made", "police", at="31 Dec 08:00", child="sibling")
    _discussion(story, "31 Dec 12:00", ["sibling"])
    assert story.findings("2 Jan 08:00", "strategy-discussion-missing") == []


def test_strategy_discussion_about_another_child_does_not_meet_it():
    story = Story()
    story.add("disclosure.made", "police", at="31 Dec 08:00", child="sibling")
    _discussion(story, "31 Dec 12:00", ["child-k"])
    [finding] = story.findings("2 Jan 08:00", "strategy-discussion-missing")
    assert finding.status == "open"


def test_strategy_discussion_held_after_36_hours_is_met_late():
    story = Story()
    story.add("disclosure.made", "police", at="31 Dec 08:00", child="sibling")
    _discussion(story, "1 Jan 20:00", ["sibling"])
    [finding] = story.findings("2 Jan 08:00", "strategy-discussion-missing")
    assert finding.status == "met_late"
    assert finding.met_at == when("1 Jan 20:00")


def test_concern_without_suspected_significant_harm_needs_no_strategy_discussion():
    story = Story()
    story.add("concern.observed", "police", at="31 Dec 08:00", significant_harm_suspected=False)
    assert story.findings("3 Jan 08:00", "strategy-discussion-missing") == []


def test_concern_of_significant_harm_needs_a_strategy_discussion():
    story = Story()
    story.add("concern.observed", "police", at="31 Dec 08:00", significant_harm_suspected=True)
    assert len(story.findings("3 Jan 08:00", "strategy-discussion-missing")) == 1


def test_suspected_non_accidental_injury_needs_a_strategy_discussion():
    story = Story()
    story.add("injury.identified", "health", at="2 Jan 11:00")
    assert len(story.findings("3 Jan 11:00", "strategy-discussion-missing")) == 1


# investigation-before-strategy-discussion


def test_interview_after_disclosure_before_any_strategy_discussion_is_a_finding_at_once():
    story = Story()
    story.add("disclosure.made", "police", at="31 Dec 08:00", child="sibling")
    interview = story.add("interview.conducted", "police", at="31 Dec 14:00", child="sibling")
    [finding] = story.findings("31 Dec 14:00", "investigation-before-strategy-discussion")
    assert finding.status == "open"
    assert finding.due_at == interview.occurred_at
    assert finding.trigger_event_ids == (interview.event_id,)
    assert "before any strategy discussion" in finding.explanation


def test_interview_after_a_strategy_discussion_considering_the_child_is_fine():
    story = Story()
    story.add("disclosure.made", "police", at="31 Dec 08:00", child="sibling")
    _discussion(story, "31 Dec 10:00", ["sibling"])
    story.add("interview.conducted", "police", at="31 Dec 14:00", child="sibling")
    assert story.findings("1 Jan 14:00", "investigation-before-strategy-discussion") == []


def test_interview_of_a_child_with_no_suspected_harm_is_not_a_finding():
    story = Story()
    story.add("interview.conducted", "police", at="31 Dec 14:00", child="sibling")
    assert story.findings("1 Jan 14:00", "investigation-before-strategy-discussion") == []


# strategy-discussion-incomplete


def test_strategy_discussion_without_health_is_incomplete():
    story = Story()
    held = _discussion(story, "31 Dec 10:00", ["child-k"], attendees=ALL_THREE[:2])
    [finding] = story.findings("31 Dec 10:00", "strategy-discussion-incomplete")
    assert finding.due_at == held.occurred_at
    assert finding.concerns_agencies == ("health",)
    assert finding.explanation == "The strategy discussion at 31 Dec 10:00 was held without health."


def test_strategy_discussion_with_police_edt_and_health_is_complete():
    story = Story()
    _discussion(story, "31 Dec 10:00", ["child-k"])
    assert story.findings("1 Jan 10:00", "strategy-discussion-incomplete") == []


def test_other_attendees_do_not_stand_in_for_a_missing_agency():
    story = Story()
    _discussion(
        story,
        "31 Dec 10:00",
        ["child-k"],
        attendees=[*ALL_THREE[:2], {"agency": "other", "role": "Teacher"}],
    )
    assert len(story.findings("1 Jan 10:00", "strategy-discussion-incomplete")) == 1


# child-not-considered


def test_strategy_discussion_that_leaves_out_child_k_names_her():
    story = Story()
    _household(story)
    _discussion(story, "31 Dec 10:00", ["sibling"])
    [finding] = story.findings("31 Dec 10:00", "child-not-considered")
    assert finding.children == ("child-k",)
    assert "left out child-k" in finding.explanation


def test_strategy_discussion_considering_every_known_child_is_fine():
    story = Story()
    _household(story)
    _discussion(story, "31 Dec 10:00", ["sibling", "child-k"])
    assert story.findings("1 Jan 10:00", "child-not-considered") == []


def test_child_first_known_after_the_discussion_was_not_left_out():
    story = Story()
    story.add("disclosure.made", "police", at="31 Dec 08:00", child="sibling")
    _discussion(story, "31 Dec 10:00", ["sibling"])
    story.add("injury.identified", "health", at="2 Jan 11:00", child="child-k")
    assert story.findings("3 Jan 10:00", "child-not-considered") == []


def test_agreement_that_covers_only_sibling_leaves_out_child_k():
    story = Story()
    _household(story)
    story.add(
        "agreement.made", "edt", at="31 Dec 18:00", children=["sibling"], protective_adults=[]
    )
    [finding] = story.findings("31 Dec 18:00", "child-not-considered")
    assert finding.children == ("child-k",)


# review-discussion-due


def test_breach_needs_a_review_strategy_discussion_within_24_hours():
    story = Story()
    story.add(
        "agreement.made", "edt", at="31 Dec 18:00", children=["child-k"], protective_adults=[]
    )
    story.add("agreement.breached", "edt", at="1 Jan 16:40")
    assert story.findings("2 Jan 16:39", "review-discussion-due") == []
    [finding] = story.findings("2 Jan 16:40", "review-discussion-due")
    assert finding.children == ("child-k",)


def test_review_discussion_after_the_breach_meets_it():
    story = Story()
    story.add(
        "agreement.made", "edt", at="31 Dec 18:00", children=["child-k"], protective_adults=[]
    )
    story.add("agreement.breached", "edt", at="1 Jan 16:40")
    _discussion(story, "1 Jan 20:00", ["child-k"], kind="review")
    assert story.findings("3 Jan 16:40", "review-discussion-due") == []


def test_release_of_the_alleged_perpetrator_needs_a_review_discussion():
    story = Story()
    story.add(
        "disclosure.made",
        "police",
        at="31 Dec 08:00",
        child="sibling",
        alleged_perpetrator="father",
    )
    story.add("person.released", "police", at="31 Dec 20:00", person="father")
    [finding] = story.findings("1 Jan 20:00", "review-discussion-due")
    assert finding.children == ("sibling",)


def test_release_of_someone_arrested_in_the_case_needs_a_review_discussion():
    story = Story()
    story.add(
        "person.arrested",
        "police",
        at="31 Dec 09:00",
        person="father",
        related_children=["sibling", "child-k"],
    )
    story.add("person.released", "police", at="31 Dec 20:00", person="father")
    [finding] = story.findings("1 Jan 20:00", "review-discussion-due")
    assert finding.children == ("sibling", "child-k")


def test_release_of_someone_neither_arrested_nor_accused_here_needs_nothing():
    story = Story()
    story.add("person.released", "police", at="31 Dec 20:00", person="stranger")
    assert story.findings("2 Jan 20:00", "review-discussion-due") == []
