"""Legal status: placements without a basis and agencies that disagree on the basis."""

from services.projection.domain import picture
from tests.support.picture import Story, when


def _placed(story: Story, agency: str, at: str, basis: str, child: str = "sibling"):
    return story.add(
        "child.placed", agency, at=at, child=child, placed_with="grandparents", legal_basis=basis
    )


def test_police_believing_s20_and_edt_believing_police_protection_is_a_conflict():
    story = Story()
    s20 = _placed(story, "police", "2 Jan 20:00", "s20")
    pp = _placed(story, "edt", "2 Jan 20:30", "police_protection")
    [finding] = story.findings("2 Jan 20:30", "legal-status-conflict")
    assert finding.status == "open"
    assert finding.children == ("sibling",)
    assert set(finding.trigger_event_ids) == {s20.event_id, pp.event_id}
    assert finding.due_at == pp.occurred_at
    assert finding.severity == "critical"
    assert finding.explanation == (
        "Agencies disagree on sibling's legal status since 2 Jan 20:30: EDT recorded police "
        "protection and police recorded s20."
    )


def test_agencies_recording_the_same_basis_do_not_conflict():
    story = Story()
    _placed(story, "police", "2 Jan 20:00", "s20")
    _placed(story, "edt", "2 Jan 20:30", "s20")
    assert story.findings("3 Jan 20:30", "legal-status-conflict") == []


def test_only_each_agencys_latest_record_counts():
    story = Story()
    _placed(story, "police", "2 Jan 20:00", "police_protection")
    _placed(story, "police", "2 Jan 20:10", "s20")
    _placed(story, "edt", "2 Jan 20:30", "s20")
    assert story.findings("3 Jan 20:30", "legal-status-conflict") == []


def test_conflict_put_right_later_is_met_late():
    story = Story()
    _placed(story, "police", "2 Jan 20:00", "s20")
    _placed(story, "edt", "2 Jan 20:30", "police_protection")
    fix = _placed(story, "edt", "3 Jan 09:00", "s20")
    [finding] = story.findings("3 Jan 10:00", "legal-status-conflict")
    assert finding.status == "met_late"
    assert finding.met_by_event_id == fix.event_id


def test_edt_believing_police_protection_after_police_ended_it_is_a_conflict():
    story = Story()
    story.add("police_protection.invoked", "police", at="2 Jan 20:00", children=["sibling"])
    _placed(story, "edt", "2 Jan 20:30", "police_protection")
    story.add("police_protection.ended", "police", at="3 Jan 08:00", children=["sibling"])
    [finding] = story.findings("3 Jan 08:00", "legal-status-conflict")
    assert finding.status == "open"


def test_police_protection_ended_then_s20_agreed_is_no_conflict():
    story = Story()
    story.add("police_protection.invoked", "police", at="2 Jan 20:00", children=["sibling"])
    story.add("police_protection.ended", "police", at="3 Jan 08:00", children=["sibling"])
    _placed(story, "edt", "3 Jan 08:30", "s20")
    assert story.findings("4 Jan 08:00", "legal-status-conflict") == []


def test_picture_shows_each_agencys_latest_basis_for_each_child():
    story = Story()
    s20 = _placed(story, "police", "2 Jan 20:00", "s20")
    pp = story.add("police_protection.invoked", "police", at="2 Jan 21:00", children=["sibling"])
    status = picture(story.fold(), when("3 Jan 00:00"))["legal_status"]
    assert status == {
        "sibling": {
            "police": {
                "basis": "police_protection",
                "event_id": pp.event_id,
                "at": "2017-01-02T21:00:00+00:00",
            }
        }
    }
    earlier = picture(story.fold(), when("2 Jan 20:30"))["legal_status"]
    assert earlier["sibling"]["police"]["event_id"] == s20.event_id


def test_placement_with_no_legal_basis_is_a_finding_at_once():
    story = Story()
    placed = _placed(story, "edt", "2 Jan 20:00", "none")
    [finding] = story.findings("2 Jan 20:00", "placement-without-legal-basis")
    assert (finding.status, finding.due_at) == ("open", placed.occurred_at)
    assert "legal basis 'none'" in finding.explanation


def test_placement_with_unknown_basis_formalised_later_is_met_late():
    story = Story()
    _placed(story, "edt", "2 Jan 20:00", "unknown")
    story.add("police_protection.invoked", "police", at="2 Jan 22:00", children=["sibling"])
    [finding] = story.findings("3 Jan 00:00", "placement-without-legal-basis")
    assert finding.status == "met_late"


def test_placement_under_s20_has_a_legal_basis():
    story = Story()
    _placed(story, "edt", "2 Jan 20:00", "s20")
    assert story.findings("3 Jan 20:00", "placement-without-legal-basis") == []
