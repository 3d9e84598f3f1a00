"""Replay documents: given a case's picture, the reviewer's page shows every event,
sharing and finding, escapes every word, and needs nothing from outside the file."""

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from services.projection.replay import render_html, render_json, render_markdown
from tests.support.scenario import scenario_document

VOID = {"meta", "link", "br", "hr", "img", "input", "col", "source", "wbr"}
SVG_LEAVES = {"circle", "rect", "line", "path", "stop"}


class Tags(HTMLParser):
    """Records start tags with their attributes and checks every element is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def having(self, cls: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.starts if cls in (a.get("class") or "").split()]


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    tags.close()
    assert tags.stack == []
    return tags


@pytest.fixture(scope="module")
def child_k() -> dict[str, Any]:
    return scenario_document("child-k")


def test_html_is_well_formed_and_self_contained(child_k: dict[str, Any]) -> None:
    html = render_html(child_k)
    parse(html)
    assert "<script" not in html
    assert "src=" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def test_timeline_has_one_lane_per_agency(child_k: dict[str, Any]) -> None:
    lanes = [a["data-agency"] for a in parse(render_html(child_k)).having("lane")]
    assert lanes == ["police", "edt", "health"]


def test_timeline_has_a_mark_per_event(child_k: dict[str, Any]) -> None:
    marks = parse(render_html(child_k)).having("event-mark")
    assert len(marks) == len(child_k["picture"]["chronology"]) == 26


def test_timeline_has_a_red_bar_per_finding(child_k: dict[str, Any]) -> None:
    tags = parse(render_html(child_k))
    assert len(tags.having("finding-bar")) == len(child_k["picture"]["findings"]) == 15
    assert {a["fill"] for a in tags.having("finding-bar")} == {"#c62828"}


def test_timeline_has_an_arrow_per_sharing_from_author_to_recipient(
    child_k: dict[str, Any],
) -> None:
    arrows = parse(render_html(child_k)).having("share-arrow")
    sharing = [
        r
        for r in child_k["picture"]["chronology"]
        if r["type"] in ("information.shared", "request.made")
    ]
    assert len(arrows) == len(sharing) == 4
    assert [a["data-to"] for a in arrows] == ["edt", "edt", "edt", "police"]


def test_strategy_discussions_without_health_show_health_absent(child_k: dict[str, Any]) -> None:
    tags = parse(render_html(child_k))
    assert [a["data-agency"] for a in tags.having("absent")] == ["health", "health"]


def test_late_recording_is_drawn_only_when_the_replay_includes_it() -> None:
    everything = parse(render_html(scenario_document("child-k")))
    assert len(everything.having("late-recording")) == 1
    before = datetime(2017, 1, 2, 20, 30, tzinfo=UTC)
    then = parse(render_html(scenario_document("child-k", recorded_by=before)))
    assert then.having("late-recording") == []
    assert len(then.having("event-mark")) == 25


def test_good_practice_renders_with_no_finding() -> None:
    doc = scenario_document("child-k-good-practice")
    html = render_html(doc)
    assert parse(html).having("finding-bar") == []
    assert "no findings" in html
    assert "No findings." in render_markdown(doc)


def test_markdown_has_every_chronology_row_and_every_finding(child_k: dict[str, Any]) -> None:
    md = render_markdown(child_k)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    numbered = {line.split("|")[1].strip() for line in rows}
    assert {str(n) for n in range(1, 27)} <= numbered
    for i, finding in enumerate(sorted(child_k["picture"]["findings"], key=_due), 1):
        assert f"**F{i} {finding['rule']}" in md
        assert finding["explanation"] in md


def test_findings_are_marked_in_the_chronology_where_they_fell_due(
    child_k: dict[str, Any],
) -> None:
    md = render_markdown(child_k)
    order = [line.split("|")[1].strip() for line in md.splitlines() if line.startswith("| ")]
    assert order.index("5") < order.index("**F1**") < order.index("6")  # 08:45, 09:20, 10:30


def test_json_is_the_document_itself(child_k: dict[str, Any]) -> None:
    assert json.loads(render_json(child_k)) == json.loads(json.dumps(child_k))


def test_every_word_is_escaped() -> None:
    doc = _tiny("<script>alert('x')</script> | a & b")
    html = render_html(doc)
    parse(html)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "\\|" in render_markdown(doc)


def test_an_empty_picture_still_renders() -> None:
    doc = {
        "picture": {"case_id": "c", "as_of": "2017-01-03T09:00:00+00:00", "chronology": []},
        "generated_at": None,
        "as_of": "2017-01-03T09:00:00+00:00",
        "recorded_by": None,
    }
    parse(render_html(doc))
    assert "# Case replay: c" in render_markdown(doc)


def _due(f: dict[str, Any]) -> tuple[str, str, str]:
    return (f["due_at"], f["rule"], f["finding_id"])


def _tiny(text: str) -> dict[str, Any]:
    at = "2017-01-01T10:00:00+00:00"
    row = {
        "event_id": "e1",
        "position": 1,
        "type": "concern.observed",
        "agency": "police",
        "occurred_at": at,
        "recorded_at": at,
        "recording_delay_seconds": 0,
        "children": [text],
        "summary": text,
        "finding_ids": ["f1"],
    }
    finding = {
        "finding_id": "f1",
        "rule": text,
        "case_id": "c",
        "status": "open",
        "children": [text],
        "trigger_event_ids": ["e1"],
        "to_agency": "edt",
        "due_at": "2017-01-01T14:00:00+00:00",
        "concerns_agencies": ["police"],
        "severity": "high",
        "explanation": text,
        "met_at": None,
    }
    picture = {
        "case_id": "c<&>",
        "as_of": "2017-01-02T00:00:00+00:00",
        "chronology": [row],
        "findings": [finding],
        "knowledge_since": {"e1": {"police": at}},
        "people": {"children": [{"ref": text, "known_by": {"police": at}}], "adults": []},
        "legal_status": {},
        "agreements": [],
        "obligations": [],
    }
    return {"picture": picture, "generated_at": at, "as_of": picture["as_of"], "recorded_by": None}


def test_a_long_busy_case_keeps_the_timeline_a_readable_size() -> None:
    doc = _tiny("x")
    start = datetime(2017, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(300):
        at = (start + timedelta(hours=7 * i)).isoformat()
        rows.append(
            {
                **doc["picture"]["chronology"][0],
                "event_id": f"e{i}",
                "position": i,
                "occurred_at": at,
                "recorded_at": at,
                "finding_ids": [],
            }
        )
    burst = [{**rows[0], "event_id": f"b{i}", "position": 400 + i} for i in range(40)]
    doc["picture"] = {**doc["picture"], "chronology": rows + burst, "findings": []}
    tags = parse(render_html(doc))
    assert len(tags.having("event-mark")) == 340
    svg = next(a for t, a in tags.starts if t == "svg")
    assert float(str(svg["viewbox"]).split()[3]) < 900


def test_html_chronology_has_a_row_per_event_and_per_finding(child_k: dict[str, Any]) -> None:
    tags = parse(render_html(child_k))
    rows = [a["id"] for t, a in tags.starts if t == "tr" and (a.get("id") or "").startswith("e")]
    assert rows == [f"e{n}" for n in range(1, 27)]
    assert len(tags.having("finding-row")) == 15
    assert len(tags.having("card")) == 15


def test_a_resolved_finding_ends_where_it_was_resolved_and_says_why() -> None:
    doc = _tiny("x")
    finding = doc["picture"]["findings"][0]
    finding.update(
        status="resolved",
        resolved_at="2017-01-01T16:00:00+00:00",
        resolved_by="duty-manager-1",
        resolution_reason="Told EDT by phone",
    )
    html = render_html(doc)
    assert [a["data-status"] for a in parse(html).having("finding")] == ["resolved"]
    assert "duty-manager-1: Told EDT by phone" in html
