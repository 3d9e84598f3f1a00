"""Before a child protection medical, what is recorded about the child reaches the
examining clinician - their unit, when named (Haringey SCR Peter Connelly)."""

from services.projection.domain.picture import picture
from services.projection.replay import render_html, render_markdown
from services.projection.review import review_document
from tests.support.picture import Story, when

RULE = "medical-examiner-not-informed"
PAEDIATRICS = {"role": "consultant paediatrician", "unit": "community-paediatrics"}
ED = {"role": "ED nurse", "unit": "hospital-ed"}
CP_MEDICAL = {"child_protection_medical": True}


def test_police_concern_never_shared_is_a_finding_at_the_medical():
    story = Story()
    concern = story.add("concern.observed", "police", at="1 Jan 09:00")
    medical = story.add(
        "medical.attended", "health", at="1 Jan 14:00", actor=PAEDIATRICS, **CP_MEDICAL
    )

    [finding] = story.findings("1 Jan 14:00", RULE)

    assert finding.trigger_event_ids == (medical.event_id, concern.event_id)
    assert finding.due_at == when("1 Jan 14:00")
    assert finding.explanation.startswith(
        "Health (community-paediatrics) began a child protection medical of child-k at "
        "1 Jan 14:00 without knowing what was recorded before it (police at 1 Jan 09:00: "
    )


def test_emergency_department_knowing_is_not_the_examining_unit_knowing():
    story = Story()
    story.add(
        "injury.identified", "health", at="1 Jan 09:00", actor=ED, non_accidental_suspected=False
    )
    story.add("medical.attended", "health", at="1 Jan 14:00", actor=PAEDIATRICS, **CP_MEDICAL)

    assert len(story.findings("1 Jan 14:00", RULE)) == 1


def test_shared_to_the_examining_unit_before_the_medical_is_fine():
    story = Story()
    concern = story.add("concern.observed", "police", at="1 Jan 09:00")
    injury = story.add(
        "injury.identified", "health", at="1 Jan 09:30", actor=ED, non_accidental_suspected=False
    )
    story.add(
        "information.shared",
        "police",
        at="1 Jan 10:00",
        to_agency="health",
        to_unit="community-paediatrics",
        about=[concern.event_id],
    )
    story.add(
        "information.shared",
        "health",
        at="1 Jan 10:05",
        actor=ED,
        to_agency="health",
        to_unit="community-paediatrics",
        about=[injury.event_id],
    )
    story.add("medical.attended", "health", at="1 Jan 14:00", actor=PAEDIATRICS, **CP_MEDICAL)

    assert story.findings("2 Jan 14:00", RULE) == []


def test_shared_after_the_medical_began_is_too_late_and_to_another_unit_does_not_count():
    late = Story()
    concern = late.add("concern.observed", "police", at="1 Jan 09:00")
    late.add("medical.attended", "health", at="1 Jan 14:00", actor=PAEDIATRICS, **CP_MEDICAL)
    late.add(
        "information.shared",
        "police",
        at="1 Jan 15:00",
        to_agency="health",
        to_unit="community-paediatrics",
        about=[concern.event_id],
    )
    elsewhere = Story()
    concern = elsewhere.add("concern.observed", "police", at="1 Jan 09:00")
    elsewhere.add(
        "information.shared",
        "police",
        at="1 Jan 10:00",
        to_agency="health",
        to_unit="gp",
        about=[concern.event_id],
    )
    elsewhere.add("medical.attended", "health", at="1 Jan 14:00", actor=PAEDIATRICS, **CP_MEDICAL)

    assert [len(s.findings("2 Jan 14:00", RULE)) for s in (late, elsewhere)] == [1, 1]


def test_agency_wide_sharing_reaches_every_unit_when_no_unit_was_named():
    story = Story()
    concern = story.add("concern.observed", "police", at="1 Jan 09:00")
    story.add(
        "information.shared",
        "police",
        at="1 Jan 10:00",
        to_agency="health",
        about=[concern.event_id],
    )
    story.add("medical.attended", "health", at="1 Jan 14:00", actor=PAEDIATRICS, **CP_MEDICAL)

    assert story.findings("2 Jan 14:00", RULE) == []


def test_an_ordinary_attendance_or_a_child_with_no_history_owes_nothing():
    ordinary = Story()
    ordinary.add("concern.observed", "police", at="1 Jan 09:00")
    ordinary.add("medical.attended", "health", at="1 Jan 14:00", actor=PAEDIATRICS)
    first = Story()
    first.add("concern.observed", "police", at="1 Jan 09:00", child="another-child")
    first.add("medical.attended", "health", at="1 Jan 14:00", actor=PAEDIATRICS, **CP_MEDICAL)

    assert [s.findings("2 Jan 14:00", RULE) for s in (ordinary, first)] == [[], []]


def test_the_picture_and_replay_show_which_unit_of_health_knew():
    story = Story()
    injury = story.add(
        "injury.identified", "health", at="1 Jan 09:00", actor=ED, non_accidental_suspected=False
    )
    shared = story.add(
        "information.shared",
        "health",
        at="1 Jan 10:00",
        actor=ED,
        to_agency="health",
        to_unit="gp",
        about=[injury.event_id],
    )
    at = when("2 Jan 12:00")

    units = picture(story.fold(), at)["unit_knowledge"]
    doc = review_document(
        story.case_id, story.events, story.policy, at=at, recorded_by=None, generated_at=at
    )

    assert units == {
        "health": {
            "gp": [injury.event_id, shared.event_id],
            "hospital-ed": [injury.event_id, shared.event_id],
        }
    }
    assert picture(story.fold(), when("1 Jan 09:30"))["unit_knowledge"] == {
        "health": {"hospital-ed": [injury.event_id]}
    }
    assert "## Within agencies: which unit knew" in render_markdown(doc)
    assert "| Health (gp) | Health (hospital-ed) |" in render_markdown(doc)
    assert "Within agencies: which unit knew" in render_html(doc)


def test_no_units_named_means_no_unit_section():
    story = Story()
    story.add("concern.observed", "police", at="1 Jan 09:00")
    at = when("2 Jan 12:00")
    doc = review_document(
        story.case_id, story.events, story.policy, at=at, recorded_by=None, generated_at=at
    )

    assert doc["picture"]["unit_knowledge"] == {}
    assert "which unit knew" not in render_markdown(doc) + render_html(doc)
