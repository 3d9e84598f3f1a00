"""Who knows what, since when: authors, sharing, requests and strategy discussions."""

from services.projection.domain import picture
from tests.support.picture import Story, when


def _knowledge(story: Story, at: str) -> dict:
    return picture(story.fold(), when(at))["knowledge_since"]


def test_author_knows_its_event_from_when_it_occurred():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00", recorded="31 Dec 11:00")
    assert _knowledge(story, "31 Dec 12:00")[disclosure.event_id] == {
        "police": "2016-12-31T08:00:00+00:00"
    }


def test_information_shared_tells_the_recipient_from_the_moment_of_sharing():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00")
    story.add(
        "information.shared",
        "police",
        at="31 Dec 08:30",
        to_agency="edt",
        about=[disclosure.event_id],
    )
    assert _knowledge(story, "31 Dec 12:00")[disclosure.event_id] == {
        "police": "2016-12-31T08:00:00+00:00",
        "edt": "2016-12-31T08:30:00+00:00",
    }


def test_an_agency_cannot_pass_on_what_it_did_not_know():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00")
    story.add(
        "information.shared",
        "health",
        at="31 Dec 08:30",
        to_agency="edt",
        about=[disclosure.event_id],
    )
    assert set(_knowledge(story, "31 Dec 12:00")[disclosure.event_id]) == {"police"}


def test_knowledge_passes_on_from_an_agency_that_learnt_it_earlier():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00")
    story.add(
        "information.shared",
        "police",
        at="31 Dec 08:30",
        to_agency="edt",
        about=[disclosure.event_id],
    )
    story.add(
        "information.shared",
        "edt",
        at="31 Dec 09:00",
        to_agency="health",
        about=[disclosure.event_id],
    )
    assert _knowledge(story, "31 Dec 12:00")[disclosure.event_id]["health"] == (
        "2016-12-31T09:00:00+00:00"
    )


def test_sharing_before_the_sharer_itself_learnt_it_passes_nothing():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00")
    story.add(
        "information.shared",
        "edt",
        at="31 Dec 08:15",
        to_agency="health",
        about=[disclosure.event_id],
    )
    story.add(
        "information.shared",
        "police",
        at="31 Dec 08:30",
        to_agency="edt",
        about=[disclosure.event_id],
    )
    assert "health" not in _knowledge(story, "31 Dec 12:00")[disclosure.event_id]


def test_request_tells_the_requested_agency_what_it_is_about_and_of_the_request():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00")
    request = story.add(
        "request.made", "police", at="31 Dec 08:20", to_agency="edt", about=[disclosure.event_id]
    )
    known = _knowledge(story, "31 Dec 12:00")
    assert known[disclosure.event_id]["edt"] == "2016-12-31T08:20:00+00:00"
    assert known[request.event_id]["edt"] == "2016-12-31T08:20:00+00:00"


def test_strategy_discussion_tells_every_attendee_what_a_knowing_attendee_shared():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00")
    story.add(
        "strategy_discussion.held",
        "edt",
        at="31 Dec 10:00",
        attendees=[
            {"agency": "police", "role": "DS"},
            {"agency": "edt", "role": "SW"},
            {"agency": "health", "role": "GP"},
        ],
        information_shared=[disclosure.event_id],
    )
    assert set(_knowledge(story, "31 Dec 12:00")[disclosure.event_id]) == {
        "police",
        "edt",
        "health",
    }


def test_strategy_discussion_cannot_share_what_no_attendee_knew():
    story = Story()
    concern = story.add("concern.observed", "health", at="31 Dec 08:00")
    story.add(
        "strategy_discussion.held",
        "edt",
        at="31 Dec 10:00",
        attendees=[{"agency": "police", "role": "DS"}, {"agency": "edt", "role": "SW"}],
        information_shared=[concern.event_id],
    )
    assert set(_knowledge(story, "31 Dec 12:00")[concern.event_id]) == {"health"}


def test_knowledge_by_agency_lists_events_in_chronological_order():
    story = Story()
    later = story.add("concern.observed", "police", at="31 Dec 09:00")
    earlier = story.add("disclosure.made", "police", at="31 Dec 08:00", recorded="31 Dec 10:00")
    knowledge = picture(story.fold(), when("31 Dec 12:00"))["knowledge"]
    assert knowledge == {"police": [earlier.event_id, later.event_id]}


def test_knowledge_as_of_before_the_sharing_shows_only_the_author():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00")
    story.add(
        "information.shared",
        "police",
        at="31 Dec 08:30",
        to_agency="edt",
        about=[disclosure.event_id],
    )
    assert set(_knowledge(story, "31 Dec 08:15")[disclosure.event_id]) == {"police"}


# people


def test_children_come_from_every_child_field_and_the_envelope():
    story = Story()
    story.add(
        "incident.reported",
        "police",
        at="31 Dec 03:00",
        children_present=["sibling"],
        envelope_children=["child-k"],
    )
    story.add("person.arrested", "police", at="31 Dec 09:00", related_children=["half-sister"])
    story.add("medical.attended", "health", at="2 Jan 10:00", child="baby")
    refs = [c["ref"] for c in picture(story.fold(), when("3 Jan 00:00"))["people"]["children"]]
    assert refs == ["child-k", "sibling", "half-sister", "baby"]


def test_adults_come_from_households_incidents_arrests_disclosures_and_agreements():
    story = Story()
    story.add(
        "household.recorded",
        "police",
        at="31 Dec 03:00",
        adults=[{"person": "mother", "relationship": "mother"}],
    )
    story.add("incident.reported", "police", at="31 Dec 03:05", adults=["father"])
    story.add("disclosure.made", "police", at="31 Dec 08:00", alleged_perpetrator="lodger")
    story.add(
        "agreement.made",
        "edt",
        at="31 Dec 18:00",
        signed_by=["mother"],
        protective_adults=[{"person": "grandmother", "confirmed": False}],
    )
    adults = picture(story.fold(), when("1 Jan 00:00"))["people"]["adults"]
    assert [a["ref"] for a in adults] == ["mother", "father", "lodger", "grandmother"]
    assert adults[0]["known_by"] == {
        "police": "2016-12-31T03:00:00+00:00",
        "edt": "2016-12-31T18:00:00+00:00",
    }


def test_an_agency_told_of_an_event_comes_to_know_the_people_in_it():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00", child="sibling")
    story.add(
        "information.shared",
        "police",
        at="31 Dec 08:30",
        to_agency="edt",
        about=[disclosure.event_id],
    )
    [child] = picture(story.fold(), when("31 Dec 12:00"))["people"]["children"]
    assert child == {
        "ref": "sibling",
        "known_by": {
            "police": "2016-12-31T08:00:00+00:00",
            "edt": "2016-12-31T08:30:00+00:00",
        },
    }
