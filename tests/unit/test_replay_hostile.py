"""Replay output safety: given events whose free text carries HTML, Markdown, rich
markup and terminal escape sequences, every format shows that text literally and
nothing in it can act on a browser, a Markdown renderer or a terminal."""

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console

from services.projection.domain.rules import default_policy
from services.projection.replay import render_html, render_json, render_markdown
from services.projection.replay.neutral import console_text, md_text, plain
from services.projection.review import review_document
from tests.support.picture import Story

HOSTILE = (
    "<img src=x onerror=alert(1)> \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 "
    "\x1b[31mred\x9b2J\x07 | [bold]loud[/bold] ![i](http://evil.example/x.png) "
    "[go](javascript:alert(1)) **em** _u_ ~~s~~\n# heading\n```\ncode\u202eevil"
)
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile_doc() -> dict[str, Any]:
    story = Story(case_id="case-hostile")
    story.add("disclosure.made", "police", at="31 Dec 08:20", made_to=HOSTILE)
    story.add("finding.resolved", "safeguard", at="31 Dec 09:00", by=HOSTILE, reason=HOSTILE)
    at = datetime(2017, 1, 3, tzinfo=UTC)
    doc = review_document(
        story.case_id,
        story.events,
        default_policy(),
        at=at,
        recorded_by=None,
        generated_at=at,
    )
    assert any(HOSTILE in text for text in _strings(doc))  # the data really is hostile
    return doc


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for v in value for s in _strings(v)] if isinstance(value, list) else []


def test_html_shows_hostile_text_escaped_and_without_control_characters(
    hostile_doc: dict[str, Any],
) -> None:
    html = render_html(hostile_doc)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not RAW_CONTROLS.search(html)


def test_markdown_shows_hostile_text_literally(hostile_doc: dict[str, Any]) -> None:
    md = render_markdown(hostile_doc)
    assert "<img" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md
    assert not RAW_CONTROLS.search(md)
    for escaped in ("!\\[i\\](", "\\[go\\](javascript", "\\*\\*em\\*\\*", "\\`\\`\\`"):
        assert escaped in md, escaped
    assert not re.search(r"(?<!\\)\[bold", md)
    assert not any(line.startswith(("# heading", "```")) for line in md.splitlines())
    assert_table_rows_keep_their_columns(md)


def assert_table_rows_keep_their_columns(md: str) -> None:
    borders = None
    for line in md.splitlines():
        if not line.startswith("|"):
            borders = None
            continue
        count = len(re.findall(r"(?<!\\)\|", line))
        borders = count if borders is None else borders
        assert count == borders, line


def test_json_keeps_the_text_but_writes_terminal_controls_as_escapes(
    hostile_doc: dict[str, Any],
) -> None:
    text = render_json(hostile_doc)
    assert not RAW_CONTROLS.search(text)
    assert json.loads(text) == json.loads(json.dumps(hostile_doc))


def test_rich_console_prints_markup_in_data_literally() -> None:
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    console.print(f"no events for case {console_text(HOSTILE)}")
    shown = console.export_text(styles=False)
    assert "[bold]loud[/bold]" in shown
    assert "\x1b" not in shown and "\ufffd]8;;http://evil.example" in shown


def test_neutralising_makes_every_control_character_visible() -> None:
    assert plain("a\x1b[2Jb\x9b1mc\x07\u202e") == "a\ufffd[2Jb\ufffd1mc\ufffd\ufffd"
    assert plain("line\nnext\tcol") == "line\nnext\tcol"
    assert md_text("a | b\n# c") == "a \\| b \\# c"
