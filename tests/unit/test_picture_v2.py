"""The picture and the replay describe catalog v2 events in plain words, and name
the unit of an agency where the actor gave one ("Health (hospital-ed)")."""

from typing import Any

import pytest

from events import CATALOG
from services.projection.domain.picture import picture
from services.projection.replay import render_html, render_markdown
from services.projection.review import review_document
from tests.support.picture import Story, when

V2_TYPES = sorted(name for name, entry in CATALOG.items() if entry.schema_version == 2)
LATER = when("2 Jan 12:00")


def review(story: Story) -> dict[str, Any]:
    """The story's review document, as of ``LATER``."""
    return review_document(
        story.case_id, story.events, story.policy, at=LATER, recorded_by=None, generated_at=LATER
    )


def chronology(story: Story) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = picture(story.fold(), LATER)["chronology"]
    return rows


@pytest.mark.parametrize("type_name", V2_TYPES)
def test_each_v2_event_folds_into_a_worded_chronology_line(type_name: str) -> None:
    story = Story()
    story.add(type_name, "children_social_care", at="1 Jan 10:00")

    [row] = chronology(story)

    assert str(row["summary"]).startswith("Children's social care: ")
    assert type_name not in str(row["summary"]).lower()  # not the fallback: the type name


def test_v2_lines_say_what_a_reviewer_needs_at_a_glance() -> None:
    story = Story()
    story.add("home_visit.made", "children_social_care", at="1 Jan 10:00")
    story.add("police_action.taken", "police", at="1 Jan 11:00")
    story.add("household_member.reported", "education", at="1 Jan 12:00", relationship="uncle")

    summaries = [row["summary"] for row in chronology(story)]

    assert summaries == [
        "Children's social care: An announced home visit was made: child-k was NOT seen.",
        "Police: Police action about adult-m: charging decision (not charged).",
        "Education: Adult-m (uncle) was reported by a child to be part of the household"
        " (not verified).",
    ]


def test_the_unit_is_named_beside_its_agency_in_the_picture_and_the_replay() -> None:
    story = Story()
    story.add(
        "concern.observed",
        "health",
        at="1 Jan 10:00",
        actor={"role": "nurse", "unit": "hospital-ed"},
    )
    story.add("concern.observed", "health", at="1 Jan 11:00")
    doc = review(story)

    rows = doc["picture"]["chronology"]
    markdown = render_markdown(doc)
    html = render_html(doc)

    assert [r["unit"] for r in rows] == ["hospital-ed", None]
    assert rows[0]["summary"].startswith("Health (hospital-ed): An injury concern")
    assert rows[1]["summary"].startswith("Health: An injury concern")
    assert "| Health (hospital-ed) | An injury concern" in markdown
    assert '<span class="unit">(hospital-ed)</span>' in html
    assert "Health (hospital-ed): " not in markdown + html  # the column says who


def test_a_new_agency_gets_its_own_named_lane_only_when_it_took_part() -> None:
    story = Story()
    story.add("concern.observed", "police", at="1 Jan 10:00")
    quiet = review(story)
    story.add("concern.observed", "education", at="1 Jan 11:00")
    school = review(story)

    assert "Education (schools)" not in render_markdown(quiet)
    assert "| Education (schools) | An injury concern" in render_markdown(school)
