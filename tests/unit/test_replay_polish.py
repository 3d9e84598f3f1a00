"""The review document as a reviewer reads it years later: dates carry their year,
"recorded late" means late against the case's own record (not the day a demo was
loaded), and each finding's rule id has a plain-language title beside it."""

from dataclasses import replace
from datetime import UTC, datetime

from services.projection.domain.rules import default_policy
from services.projection.replay import render_html, render_markdown
from services.projection.review import review_document
from tests.support.scenario import GENERATED_AT, recorded_events, scenario_document

LOADED_TODAY = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


def _loaded_in_one_go_today() -> dict[str, object]:
    """Child K posted through the API in file order within seconds, years later."""
    events = [
        replace(e, recorded_at=LOADED_TODAY.replace(second=i))
        for i, e in enumerate(recorded_events("child-k"))
    ]
    return review_document(
        "child-k",
        events,
        default_policy(),
        at=LOADED_TODAY,
        recorded_by=None,
        generated_at=GENERATED_AT,
    )


def test_case_loaded_years_later_in_one_go_shows_no_late_recording() -> None:
    doc = _loaded_in_one_go_today()

    html, md = render_html(doc), render_markdown(doc)

    assert "late-recording" not in html.replace(".late-recording", "")
    assert " d later" not in html and " d later" not in md


def test_observation_written_up_days_after_later_events_is_still_late() -> None:
    html = render_html(scenario_document("child-k"))

    assert html.count('class="late-recording"') == 1
    assert "2 d 12 h 35 min later" in html  # after the record had moved on at 08:25


def test_every_chronology_date_carries_its_year() -> None:
    md = render_markdown(scenario_document("child-k"))

    rows = [line for line in md.splitlines() if line.startswith("| 1 |")]
    assert rows and "Sat 31 Dec 2016" in rows[0]


def test_findings_show_a_plain_language_title_beside_the_rule_id() -> None:
    doc = scenario_document("child-k")

    html, md = render_html(doc), render_markdown(doc)

    assert "Not passed on to another agency in time" in html
    assert '<code class="rule-id">not-shared</code>' in html
    assert "(Not passed on to another agency in time)" in md
