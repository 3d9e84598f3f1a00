"""The replay document as one self-contained HTML page: no scripts, no external assets.

Opens with the swimlane timeline (its own A4-landscape page when printed), then
the findings, the merged chronology with each finding placed where it fell due,
who knew what when, the obligations, and legal status, agreements and people.
"""

from collections.abc import Mapping
from typing import Any

from services.projection.domain.rule_titles import rule_title
from services.projection.replay import sections
from services.projection.replay.sections import agency_html, esc, flags, refs
from services.projection.replay.styles import CSS
from services.projection.replay.timeline import render_timeline
from services.projection.replay.view import (
    EventView,
    FindingView,
    ReplayView,
    agency_name,
    build_view,
    finding_status,
    fmt_delay,
    fmt_time,
)


def render_html(doc: Mapping[str, Any]) -> str:
    view = build_view(doc)
    title = f"Case replay: {view.case_id} as of {fmt_time(view.as_of, year=True)}"
    body = "".join(
        [
            _cover(view),
            _timeline(view),
            _findings(view),
            _chronology(view),
            sections.knowledge(view),
            sections.unit_knowledge(view),
            sections.obligations(view),
            sections.status(view),
            _footer(view),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def _cover(view: ReplayView) -> str:
    counts = {s: sum(1 for f in view.findings if f.status == s) for s in ("open", "met_late")}
    chips = [
        f'<li class="chip open">{counts["open"]} overdue</li>',
        f'<li class="chip met_late">{counts["met_late"]} met late</li>',
    ]
    if not view.findings:
        chips = ['<li class="chip none">no findings</li>']
    recorded = (
        f", using only what had been recorded by {esc(fmt_time(view.recorded_by, year=True))}"
        if view.recorded_by
        else ", including anything recorded later about that period"
    )
    meta = [
        ("Case", view.case_id),
        ("As of", fmt_time(view.as_of, year=True)),
        ("Records up to", fmt_time(view.recorded_by, year=True) or "all recorded"),
        ("Generated", fmt_time(view.generated_at, year=True)),
        ("Events", str(len(view.events))),
        ("Findings", str(len(view.findings))),
    ]
    return (
        '<header class="cover"><div><p class="kicker">Safeguard · multi-agency case replay</p>'
        f'<h1>Case {esc(view.case_id)}</h1><p class="lede">The joint picture as it stood at '
        f"<strong>{esc(fmt_time(view.as_of, year=True))}</strong>{recorded}: what each agency "
        "recorded, what it passed on and to whom, and every required step that was late or "
        f'missing.</p><ul class="chips">{"".join(chips)}</ul></div><dl class="meta">'
        + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in meta)
        + "</dl></header>"
    )


def _timeline(view: ReplayView) -> str:
    return (
        '<section class="timeline-page"><h2>Timeline <small>one lane per agency; times in '
        "Europe/London</small></h2><figure>"
        + render_timeline(view)
        + "<figcaption>Each dot is an event at the time it occurred, numbered as in the "
        "chronology. Arrows show information passing from one agency to another; amber bands "
        "are strategy discussions across the agencies that took part. Red bars run from what "
        "triggered a duty to its deadline; the hatched tail is how long it stayed undone."
        "</figcaption></figure></section>"
    )


def _findings(view: ReplayView) -> str:
    if not view.findings:
        return '<section class="findings"><h2>Findings</h2><p>No findings.</p></section>'
    cards = "".join(_card(f) for f in view.findings)
    return (
        f'<section class="findings"><h2>Findings <small>{len(view.findings)}, in the order '
        f'they fell due</small></h2><div class="cards">{cards}</div></section>'
    )


def _card(f: FindingView) -> str:
    to = f" → {agency_name(f.to_agency)}" if f.to_agency else ""
    met = f"; met {esc(fmt_time(f.met_at))}" if f.met_at else ""
    if f.resolved_at:
        met += f"; resolved {esc(fmt_time(f.resolved_at))} ({esc(f.resolution)})"
    met_by = f" by #{f.met_by}" if f.met_by else ""
    return (
        f'<article class="card {esc(f.status)}" id="{esc(f.label)}"><h3><span class="label">'
        f'{esc(f.label)}</span> {esc(rule_title(f.rule))}{esc(to)}<span class="sev '
        f'{esc(f.severity)}">{esc(f.severity)}</span> <code class="rule-id">{esc(f.rule)}</code>'
        f'</h3><p>{esc(f.explanation)}</p><p class="facts">'
        f'<strong class="state {esc(f.status)}">{esc(finding_status(f.status))}</strong> · '
        f"triggered by {refs(f.triggers) or 'n/a'} · due {esc(fmt_time(f.due_at))}{met}{met_by}"
        f" · children {esc(', '.join(f.children) or 'none named')}"
        f" · concerns {esc(', '.join(agency_name(a) for a in f.concerns) or 'none named')}</p>"
        "</article>"
    )


def _chronology(view: ReplayView) -> str:
    items: list[tuple[Any, int, str]] = [
        (e.occurred_at, 0, _event_row(view, e)) for e in view.events
    ]
    items += [(f.due_at, 1, _finding_row(f)) for f in view.findings]
    rows = "".join(row for _, _, row in sorted(items, key=lambda i: (i[0], i[1])))
    head = "".join(
        f"<th{c}>{h}</th>"
        for h, c in [
            ("#", ' class="num"'),
            ("Occurred", ""),
            ("Recorded", ""),
            ("Agency", ""),
            ("What happened", ""),
            ("Children", ""),
            ("Findings", ""),
        ]
    )
    return (
        '<section class="chronology"><h2>Multi-agency chronology <small>merged, in the order '
        "things happened; each finding appears where it fell due</small></h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _event_row(view: ReplayView, e: EventView) -> str:
    late = (
        f'<span class="late">{esc(fmt_delay(e.late_by or e.recording_delay))} later</span>'
        if e.recorded_late
        else ""
    )
    detail = f'<span class="detail">{esc(e.detail)}</span>' if e.detail else ""
    if e.passed_on:
        reached = ", ".join(agency_name(a) for a in e.reached)
        detail += f'<span class="detail">Passed on to {esc(reached)}: {refs(e.passed_on)}</span>'

    cls = "event has-finding" if e.finding_labels else "event"
    unit = f' <span class="unit">({esc(e.unit)})</span>' if e.unit else ""
    return (
        f'<tr class="{cls}" id="e{e.number}"><td class="num">{e.number}</td>'
        f'<td class="time">{esc(fmt_time(e.occurred_at))}</td>'
        f'<td class="time">{esc(fmt_time(e.recorded_at))}{late}</td>'
        f"<td>{agency_html(e.agency)}{unit}</td>"
        f'<td>{esc(e.summary)}{detail}<span class="type">{esc(e.type)}</span></td>'
        f"<td>{esc(', '.join(e.children))}</td><td>{flags(view, e.finding_labels)}</td></tr>"
    )


def _finding_row(f: FindingView) -> str:
    to = f" → {agency_name(f.to_agency)}" if f.to_agency else ""
    return (
        f'<tr class="finding-row"><td class="num">{esc(f.label)}</td>'
        f'<td class="time">{esc(fmt_time(f.due_at))}</td><td></td><td>deadline</td>'
        f'<td class="what" colspan="2">⚑ {esc(rule_title(f.rule))}{esc(to)} '
        f'<code class="rule-id">{esc(f.rule)}</code> — due after '
        f"{refs(f.triggers)}: {esc(f.explanation)}</td>"
        f'<td><span class="flag {esc(f.status)}">{esc(f.label)}</span></td></tr>'
    )


def _footer(view: ReplayView) -> str:
    return (
        f"<footer>Generated by Safeguard from the shared event stream for case "
        f"{esc(view.case_id)}. Times are Europe/London. Events are numbered in the order they "
        "occurred; findings in the order they fell due. This is a replay: it shows what the "
        "records say, not what people knew but did not record.</footer>"
    )
