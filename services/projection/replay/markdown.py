"""The replay document as Markdown: findings, the merged chronology with each finding
where it fell due, and who knew what when. Every text from an event goes through
``neutral.md_text``: it renders literally, so free text cannot break a table, add a
link or image, or smuggle HTML or terminal escapes into the document."""

from collections.abc import Iterable, Mapping
from typing import Any

from services.projection.domain.rule_titles import rule_title
from services.projection.replay.neutral import md_code, md_text
from services.projection.replay.sections import unit_columns
from services.projection.replay.view import (
    EventView,
    FindingView,
    ReplayView,
    agency_name,
    author_name,
    build_view,
    finding_status,
    fmt_delay,
    fmt_time,
    when,
)


def render_markdown(doc: Mapping[str, Any]) -> str:
    view = build_view(doc)
    lines = [
        f"# Case replay: {cell(view.case_id)}",
        "",
        f"- **As of:** {fmt_time(view.as_of, year=True)} (Europe/London)",
        f"- **Records up to:** {fmt_time(view.recorded_by, year=True) or 'all recorded'}",
        f"- **Generated:** {fmt_time(view.generated_at, year=True)}",
        f"- **Events:** {len(view.events)} · **Findings:** {len(view.findings)}",
        "",
        *_findings(view),
        *_chronology(view),
        *_knowledge(view),
        *_unit_knowledge(view),
    ]
    return "\n".join(lines) + "\n"


def cell(value: object) -> str:
    """One table cell (or inline span) of literal text."""
    return md_text(value)


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return [*out, ""]


def _findings(view: ReplayView) -> list[str]:
    if not view.findings:
        return ["## Findings", "", "No findings.", ""]
    out = ["## Findings", ""]
    for f in view.findings:
        to = f" → {agency_name(f.to_agency)}" if f.to_agency else ""
        met = f", met {fmt_time(f.met_at)}" if f.met_at else ""
        out.append(
            f"- **{f.label} {cell(f.rule + to)}** ({cell(rule_title(f.rule))}) — "
            f"{cell(finding_status(f.status))}, "
            f"{cell(f.severity)}; due {fmt_time(f.due_at)}{met}; triggered by "
            f"{', '.join(f'#{n}' for n in f.triggers)}. {cell(f.explanation)}"
        )
    return [*out, ""]


def _chronology(view: ReplayView) -> list[str]:
    items: list[tuple[Any, int, list[str]]] = [(e.occurred_at, 0, _event(e)) for e in view.events]
    items += [(f.due_at, 1, _finding(f)) for f in view.findings]
    rows = [row for _, _, row in sorted(items, key=lambda i: (i[0], i[1]))]
    header = ["#", "Occurred", "Recorded", "Agency", "What happened", "Children", "Findings"]
    return ["## Multi-agency chronology", "", *_table(header, rows)]


def _event(e: EventView) -> list[str]:
    recorded = fmt_time(e.recorded_at)
    if e.recorded_late:
        recorded += f" (**{fmt_delay(e.late_by or e.recording_delay)} later**)"
    what = cell(e.summary + (f" {e.detail}" if e.detail else ""))
    if e.passed_on:
        reached = ", ".join(agency_name(a) for a in e.reached)
        what += " " + cell(f"Passed on to {reached}: {', '.join(f'#{n}' for n in e.passed_on)}.")
    what += f" `{md_code(e.type)}`"
    return [
        str(e.number),
        fmt_time(e.occurred_at),
        recorded,
        cell(author_name(e)),
        what,
        cell(", ".join(e.children)),
        ", ".join(e.finding_labels),
    ]


def _finding(f: FindingView) -> list[str]:
    to = f" → {agency_name(f.to_agency)}" if f.to_agency else ""
    what = (
        f"⚑ **{cell(f.rule + to)}** {cell(rule_title(f.rule))} "
        f"({cell(finding_status(f.status))}): {cell(f.explanation)}"
    )
    return [f"**{f.label}**", fmt_time(f.due_at), "", "deadline", what, "", f.label]


def _knowledge(view: ReplayView) -> list[str]:
    since: Mapping[str, Mapping[str, str]] = view.picture.get("knowledge_since", {})
    header = ["#", "Event", *(cell(agency_name(a)) for a in view.agencies)]
    rows = []
    for e in view.events:
        known = since.get(e.event_id, {})
        cells = [_since(known.get(a), a == e.agency) for a in view.agencies]
        rows.append([str(e.number), cell(e.summary), *cells])
    return ["## Who knew what, when", "", *_table(header, rows)]


def _unit_knowledge(view: ReplayView) -> list[str]:
    """Only when some unit was named: which part of an agency held each event."""
    columns = unit_columns(view.picture)
    if not columns:
        return []
    header = ["#", "Event", *(cell(f"{agency_name(a)} ({u})") for a, u, _ in columns)]
    rows = [
        [str(e.number), cell(e.summary), *("✓" if e.event_id in i else "" for *_, i in columns)]
        for e in view.events
        if any(e.event_id in ids for _, _, ids in columns)
    ]
    return ["", "## Within agencies: which unit knew", "", *_table(header, rows)]


def _since(value: str | None, author: bool) -> str:
    at = when(value)
    if at is None:
        return ""
    return f"**{fmt_time(at)}** (author)" if author else fmt_time(at)
