"""The replay document as one self-contained HTML page: no scripts, no external assets.

Opens with the swimlane timeline (its own A4-landscape page when printed), then
the findings, the merged chronology with each finding placed where it fell due,
who knew what when, the obligations, and legal status, agreements and people.
"""

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

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
    when,
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
            _knowledge(view),
            _obligations(view),
            _status(view),
            _footer(view),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def _e(value: object) -> str:
    return escape(str(value))


def _agency(agency: str | None) -> str:
    if not agency:
        return ""
    return f'<span class="agency {_e(agency)}">{_e(agency_name(agency))}</span>'


def _flags(view: ReplayView, labels: Iterable[str]) -> str:
    status = {f.label: f.status for f in view.findings}
    return "".join(f'<span class="flag {_e(status[lab])}">{_e(lab)}</span>' for lab in labels)


def _refs(numbers: Iterable[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)


def _cover(view: ReplayView) -> str:
    counts = {s: sum(1 for f in view.findings if f.status == s) for s in ("open", "met_late")}
    chips = [
        f'<li class="chip open">{counts["open"]} overdue</li>',
        f'<li class="chip met_late">{counts["met_late"]} met late</li>',
    ]
    if not view.findings:
        chips = ['<li class="chip none">no findings</li>']
    recorded = (
        f", using only what had been recorded by {_e(fmt_time(view.recorded_by, year=True))}"
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
        f'<h1>Case {_e(view.case_id)}</h1><p class="lede">The joint picture as it stood at '
        f"<strong>{_e(fmt_time(view.as_of, year=True))}</strong>{recorded}: what each agency "
        "recorded, what it passed on and to whom, and every required step that was late or "
        f'missing.</p><ul class="chips">{"".join(chips)}</ul></div><dl class="meta">'
        + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta)
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
    met = f"; met {_e(fmt_time(f.met_at))}" if f.met_at else ""
    met_by = f" by #{f.met_by}" if f.met_by else ""
    return (
        f'<article class="card {_e(f.status)}" id="{_e(f.label)}"><h3><span class="label">'
        f'{_e(f.label)}</span> {_e(f.rule)}{_e(to)}<span class="sev {_e(f.severity)}">'
        f'{_e(f.severity)}</span></h3><p>{_e(f.explanation)}</p><p class="facts">'
        f'<strong class="state {_e(f.status)}">{_e(finding_status(f.status))}</strong> · '
        f"triggered by {_refs(f.triggers) or 'n/a'} · due {_e(fmt_time(f.due_at))}{met}{met_by}"
        f" · children {_e(', '.join(f.children) or 'none named')}"
        f" · concerns {_e(', '.join(agency_name(a) for a in f.concerns) or 'none named')}</p>"
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
        f'<span class="late">{_e(fmt_delay(e.recording_delay))} later</span>'
        if e.recorded_late
        else ""
    )
    detail = f'<span class="detail">{_e(e.detail)}</span>' if e.detail else ""
    if e.passed_on:
        reached = ", ".join(agency_name(a) for a in e.reached)
        detail += f'<span class="detail">Passed on to {_e(reached)}: {_refs(e.passed_on)}</span>'

    cls = "event has-finding" if e.finding_labels else "event"
    return (
        f'<tr class="{cls}" id="e{e.number}"><td class="num">{e.number}</td>'
        f'<td class="time">{_e(fmt_time(e.occurred_at))}</td>'
        f'<td class="time">{_e(fmt_time(e.recorded_at))}{late}</td><td>{_agency(e.agency)}</td>'
        f'<td>{_e(e.summary)}{detail}<span class="type">{_e(e.type)}</span></td>'
        f"<td>{_e(', '.join(e.children))}</td><td>{_flags(view, e.finding_labels)}</td></tr>"
    )


def _finding_row(f: FindingView) -> str:
    to = f" → {agency_name(f.to_agency)}" if f.to_agency else ""
    return (
        f'<tr class="finding-row"><td class="num">{_e(f.label)}</td>'
        f'<td class="time">{_e(fmt_time(f.due_at))}</td><td></td><td>deadline</td>'
        f'<td class="what" colspan="2">⚑ {_e(f.rule)}{_e(to)} — due after '
        f"{_refs(f.triggers)}: {_e(f.explanation)}</td>"
        f'<td><span class="flag {_e(f.status)}">{_e(f.label)}</span></td></tr>'
    )


def _knowledge(view: ReplayView) -> str:
    since: Mapping[str, Mapping[str, str]] = view.picture.get("knowledge_since", {})
    head = "".join(f"<th>{_agency(a)}</th>" for a in view.agencies)
    rows = "".join(_knowledge_row(view, e, since.get(e.event_id, {})) for e in view.events)
    return (
        '<section class="knowledge"><h2>Who knew what, when <small>rows are events, columns '
        "agencies; a time is when that agency knew; shaded is the author; red is more than an "
        "hour after the event; blank is never</small></h2>"
        f'<table class="matrix"><thead><tr><th class="num">#</th><th>Event</th><th>Occurred'
        f"</th>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _knowledge_row(view: ReplayView, e: EventView, known: Mapping[str, str]) -> str:
    cells = []
    for agency in view.agencies:
        at = when(known.get(agency))
        if at is None:
            cells.append('<td class="none"></td>')
            continue
        cls = f"known author {agency}" if agency == e.agency else "known"
        if agency != e.agency and (at - e.occurred_at).total_seconds() > 3600:
            cls += " slow"
        cells.append(f'<td class="{_e(cls)}">{_e(fmt_time(at))}</td>')
    return (
        f'<tr><td class="num">{e.number}</td><td>{_e(e.summary)}</td>'
        f'<td class="time">{_e(fmt_time(e.occurred_at))}</td>{"".join(cells)}</tr>'
    )


def _obligations(view: ReplayView) -> str:
    numbers = {e.event_id: e.number for e in view.events}
    rows = []
    for ob in sorted(view.picture.get("obligations", []), key=lambda o: o["due_at"]):
        triggers = _refs(numbers[t] for t in ob.get("trigger_event_ids", []) if t in numbers)
        met_by = numbers.get(ob.get("met_by_event_id") or "")
        rows.append(
            f"<tr><td>{_e(ob['rule'])}</td><td>{triggers}</td><td>{_agency(ob.get('to_agency'))}"
            f'</td><td class="time">{_e(fmt_time(when(ob["due_at"])))}</td>'
            f'<td class="time">{_e(fmt_time(when(ob.get("met_at"))))}'
            f"{f' by #{met_by}' if met_by else ''}</td>"
            f'<td class="state {_e(ob.get("state", ""))}">'
            f"{_e(finding_status(str(ob.get('state', ''))))}</td></tr>"
        )
    return (
        '<section class="obligations"><h2>What was required, and when it was done</h2>'
        "<table><thead><tr><th>Rule</th><th>Triggered by</th><th>To</th><th>Due</th>"
        f"<th>Met</th><th>State</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _status(view: ReplayView) -> str:
    return (
        '<section class="status"><h2>Legal status, agreements and people</h2><div class="two-col">'
        f"<div>{_legal(view)}{_agreements(view)}</div><div>{_people(view)}</div></div></section>"
    )


def _legal(view: ReplayView) -> str:
    numbers = {e.event_id: e.number for e in view.events}
    rows = []
    for child, by_agency in view.picture.get("legal_status", {}).items():
        bases = {v["basis"] for v in by_agency.values()}
        conflict = ' <span class="conflict">agencies disagree</span>' if len(bases) > 1 else ""
        cells = "; ".join(
            f"{_agency(a)}: <strong>{_e(str(v['basis']).replace('_', ' '))}</strong> "
            f"(#{numbers.get(v['event_id'], '?')}, {_e(fmt_time(when(v['at'])))})"
            for a, v in by_agency.items()
        )
        rows.append(f"<tr><td>{_e(child)}{conflict}</td><td>{cells}</td></tr>")
    body = "".join(rows) or '<tr><td colspan="2">No placement recorded.</td></tr>'
    return (
        "<h3>Legal status as each agency recorded it</h3><table><thead><tr><th>Child</th>"
        f"<th>Recorded basis</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _agreements(view: ReplayView) -> str:
    out = ["<h3>Written agreements</h3>"]
    for a in view.picture.get("agreements", []):
        adults = ", ".join(
            f"{_e(p['person'])} ({'confirmed' if p.get('confirmed') else 'not confirmed'})"
            for p in a.get("protective_adults", [])
        )
        refused = ", ".join(_e(r["person"]) for r in a.get("refused_by", [])) or "nobody"
        conditions = "".join(f"<li>{_e(c)}</li>" for c in a.get("conditions", []))
        out.append(
            f"<p><strong>{_e(a.get('agreement_id', ''))}</strong> — {_e(a.get('state', ''))}; "
            f"made {_e(fmt_time(when(a.get('made_at'))))} for "
            f"{_e(', '.join(a.get('children', [])))}; signed by "
            f"{_e(', '.join(a.get('signed_by', [])) or 'nobody')}; protective adults: "
            f"{adults or 'none'}; refused by {refused}; breaches: "
            f"{len(a.get('breaches', []))}.</p><ul>{conditions}</ul>"
        )
    return "".join(out) if len(out) > 1 else ""


def _people(view: ReplayView) -> str:
    people = view.picture.get("people", {})
    rows = []
    for kind, role in (("children", "child"), ("adults", "adult")):
        for p in people.get(kind, []):
            known = "; ".join(
                f"{_agency(a)} {_e(fmt_time(when(s)))}" for a, s in p.get("known_by", {}).items()
            )
            rows.append(f"<tr><td>{_e(p['ref'])}</td><td>{role}</td><td>{known}</td></tr>")
    return (
        "<h3>People, and when each agency knew of them</h3><table><thead><tr><th>Person</th>"
        f"<th></th><th>Known by</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _footer(view: ReplayView) -> str:
    return (
        f"<footer>Generated by Safeguard from the shared event stream for case "
        f"{_e(view.case_id)}. Times are Europe/London. Events are numbered in the order they "
        "occurred; findings in the order they fell due. This is a replay: it shows what the "
        "records say, not what people knew but did not record.</footer>"
    )
