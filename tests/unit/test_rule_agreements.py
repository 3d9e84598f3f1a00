"""``protective-adult-unconfirmed``: an agreement must not rely on an adult nobody asked."""

from services.projection.domain import picture
from tests.support.picture import Story, when

RULE = "protective-adult-unconfirmed"


def _agreement(story: Story, confirmed: bool = False):
    return story.add(
        "agreement.made",
        "edt",
        at="31 Dec 18:00",
        agreement_id="agreement-1",
        children=["child-k", "sibling"],
        protective_adults=[{"person": "grandmother", "confirmed": confirmed}],
    )


def test_agreement_relying_on_an_unconfirmed_grandmother_opens_finding_after_two_hours():
    story = Story()
    made = _agreement(story)
    assert story.findings("31 Dec 19:59", RULE) == []
    [finding] = story.findings("31 Dec 20:00", RULE)
    assert finding.trigger_event_ids == (made.event_id,)
    assert finding.children == ("child-k", "sibling")
    assert finding.explanation == (
        "The agreement made at 31 Dec 18:00 for child-k and sibling relies on grandmother as a "
        "protective adult; grandmother has not confirmed their part (due 20:00)."
    )


def test_grandmother_confirmed_in_the_agreement_itself_raises_nothing():
    story = Story()
    _agreement(story, confirmed=True)
    assert story.findings("1 Jan 18:00", RULE) == []


def test_grandmother_confirming_within_two_hours_meets_it():
    story = Story()
    _agreement(story)
    story.add("agreement.adult_confirmed", "edt", at="31 Dec 19:00", person="grandmother")
    assert story.findings("1 Jan 18:00", RULE) == []


def test_grandmother_confirming_next_morning_is_met_late():
    story = Story()
    _agreement(story)
    story.add("agreement.adult_confirmed", "edt", at="1 Jan 09:00", person="grandmother")
    [finding] = story.findings("1 Jan 12:00", RULE)
    assert finding.status == "met_late"


def test_confirmation_by_a_different_adult_does_not_count():
    story = Story()
    _agreement(story)
    story.add("agreement.adult_confirmed", "edt", at="31 Dec 19:00", person="friend")
    assert story.findings("1 Jan 12:00", RULE)[0].status == "open"


def test_agreement_without_protective_adults_relies_on_no_one():
    story = Story()
    story.add("agreement.made", "edt", at="31 Dec 18:00", protective_adults=[])
    assert story.findings("1 Jan 18:00", RULE) == []


def test_picture_shows_the_agreement_refused_and_breached():
    story = Story()
    _agreement(story)
    refusal = story.add("agreement.party_refused", "edt", at="31 Dec 21:00", person="father")
    breach = story.add("agreement.breached", "edt", at="1 Jan 16:40")
    [agreement] = picture(story.fold(), when("2 Jan 00:00"))["agreements"]
    assert agreement["state"] == "breached"
    assert agreement["refused_by"] == [
        {"person": "father", "event_id": refusal.event_id, "at": "2016-12-31T21:00:00+00:00"}
    ]
    assert [b["event_id"] for b in agreement["breaches"]] == [breach.event_id]
    assert agreement["protective_adults_confirmed"] is False


def test_picture_as_of_before_the_breach_shows_the_agreement_only_refused():
    story = Story()
    _agreement(story)
    story.add("agreement.party_refused", "edt", at="31 Dec 21:00", person="father")
    story.add("agreement.breached", "edt", at="1 Jan 16:40")
    [agreement] = picture(story.fold(), when("1 Jan 12:00"))["agreements"]
    assert agreement["state"] == "refused"
