"""``not-shared``: what another agency must hear, and how soon (the sharing policy table)."""

import pytest

from tests.support.picture import Story, when

RULE = "not-shared"


def _breach_story() -> tuple[Story, str]:
    story = Story()
    story.add(
        "agreement.made",
        "edt",
        at="31 Dec 18:00",
        agreement_id="agreement-1",
        children=["child-k", "sibling"],
        protective_adults=[],
    )
    breach = story.add("agreement.breached", "edt", at="1 Jan 16:40", agreement_id="agreement-1")
    return story, breach.event_id


def test_breach_shared_with_police_within_the_hour_raises_no_finding():
    story, breach = _breach_story()
    story.add("information.shared", "edt", at="1 Jan 17:30", to_agency="police", about=[breach])
    assert story.findings("2 Jan 12:00", RULE) == []


def test_breach_not_shared_with_police_is_not_yet_a_finding_before_the_hour_is_up():
    story, _ = _breach_story()
    assert story.findings("1 Jan 17:39", RULE) == []


def test_breach_not_shared_with_police_opens_finding_after_one_hour():
    story, breach = _breach_story()
    [finding] = story.findings("1 Jan 17:41", RULE)
    assert finding.status == "open"
    assert finding.to_agency == "police"
    assert finding.trigger_event_ids == (breach,)
    assert finding.due_at == when("1 Jan 17:40")
    assert finding.children == ("child-k", "sibling")
    assert finding.concerns_agencies == ("edt", "police")
    assert finding.explanation == (
        "EDT recorded at 1 Jan 16:40 that the agreement for child-k and sibling was breached; "
        "police have not been told (due 17:40)."
    )


def test_finding_opens_exactly_at_the_deadline():
    story, _ = _breach_story()
    [finding] = story.findings("1 Jan 17:40", RULE)
    assert finding.status == "open"


def test_breach_shared_with_police_after_two_hours_is_met_late():
    story, breach = _breach_story()
    share = story.add(
        "information.shared", "edt", at="1 Jan 18:40", to_agency="police", about=[breach]
    )
    [finding] = story.findings("2 Jan 12:00", RULE)
    assert finding.status == "met_late"
    assert finding.met_at == when("1 Jan 18:40")
    assert finding.met_by_event_id == share.event_id
    assert finding.explanation.endswith("police were told at 18:40, 1h late (due 17:40).")


def test_breach_shared_by_an_agency_that_did_not_know_of_it_leaves_the_finding_open():
    story, breach = _breach_story()
    story.add("information.shared", "health", at="1 Jan 17:00", to_agency="police", about=[breach])
    [finding] = story.findings("1 Jan 18:00", RULE)
    assert finding.status == "open"


def test_breach_recorded_by_police_themselves_owes_police_nothing():
    story = Story()
    story.add("agreement.breached", "police", at="1 Jan 16:40")
    assert story.findings("2 Jan 16:40", RULE) == []


def test_notification_recorded_late_but_made_in_time_is_met_in_time():
    story, breach = _breach_story()
    story.add(
        "information.shared",
        "edt",
        at="1 Jan 17:00",
        recorded="1 Jan 23:00",
        to_agency="police",
        about=[breach],
    )
    assert story.findings("2 Jan 12:00", RULE) == []


def test_disclosure_to_police_must_reach_edt_only():
    story = Story()
    story.add("disclosure.made", "police", at="31 Dec 08:00")
    [finding] = story.findings("31 Dec 09:00", RULE)
    assert finding.to_agency == "edt"


def test_disclosure_to_health_must_reach_police_and_edt_as_two_findings():
    story = Story()
    story.add("disclosure.made", "health", at="31 Dec 08:00")
    story.add(
        "information.shared",
        "health",
        at="31 Dec 08:30",
        to_agency="edt",
        about=[story.events[0].event_id],
    )
    found = story.findings("31 Dec 10:00", RULE)
    assert [(f.to_agency, f.status) for f in found] == [("police", "open")]


def test_findings_to_police_and_to_edt_have_distinct_ids():
    story = Story()
    story.add("injury.identified", "health", at="2 Jan 11:00")
    found = story.findings("2 Jan 13:00", RULE)
    assert sorted(f.to_agency for f in found) == ["edt", "police"]
    assert len({f.finding_id for f in found}) == 2


def test_injury_without_suspicion_of_non_accidental_injury_need_not_be_shared():
    story = Story()
    story.add("injury.identified", "health", at="2 Jan 11:00", non_accidental_suspected=False)
    assert story.findings("3 Jan 11:00", RULE) == []


def test_incident_without_children_present_need_not_reach_edt():
    story = Story()
    story.add("incident.reported", "police", at="31 Dec 03:00", children_present=[])
    assert story.findings("2 Jan 03:00", RULE) == []


@pytest.mark.parametrize(
    ("type", "author", "to", "within"),
    [
        ("incident.reported", "police", "edt", "1 Jan 03:00"),
        ("concern.observed", "police", "edt", "31 Dec 07:00"),
        ("police_protection.invoked", "police", "edt", "31 Dec 04:00"),
        ("agreement.party_refused", "edt", "police", "31 Dec 07:00"),
    ],
)
def test_each_policy_line_opens_at_its_own_deadline(type, author, to, within):
    story = Story()
    story.add(type, author, at="31 Dec 03:00")
    [finding] = story.findings(within, RULE)
    assert (finding.to_agency, finding.due_at) == (to, when(within))


def test_request_made_to_an_agency_tells_it_what_the_request_is_about():
    story = Story()
    disclosure = story.add("disclosure.made", "police", at="31 Dec 08:00")
    story.add(
        "request.made",
        "police",
        at="31 Dec 08:20",
        to_agency="edt",
        about=[disclosure.event_id],
        kind="strategy_discussion",
    )
    assert story.findings("31 Dec 10:00", RULE) == []


def test_strategy_discussion_listing_the_breach_tells_every_agency_attending():
    story, breach = _breach_story()
    story.add(
        "strategy_discussion.held",
        "edt",
        at="1 Jan 17:15",
        attendees=[{"agency": "edt", "role": "SW"}, {"agency": "police", "role": "DS"}],
        information_shared=[breach],
    )
    assert story.findings("2 Jan 12:00", RULE) == []
