"""The reference sections of the HTML replay: who knew what when, obligations, legal
status, agreements and people; and the small escaping helpers every section uses."""

from collections.abc import Iterable, Mapping
from typing import Any

from services.projection.replay.neutral import html_text
from services.projection.replay.view import (
    EventView,
    ReplayView,
    agency_name,
    finding_status,
    fmt_time,
    when,
)


def esc(value: object) -> str:
    """HTML-escaped, control characters made visible (``neutral.html_text``)."""
    return html_text(value)


def agency_html(agency: str | None) -> str:
    if not agency:
        return ""
    return f'<span class="agency {esc(agency)}">{esc(agency_name(agency))}</span>'


def flags(view: ReplayView, labels: Iterable[str]) -> str:
    status = {f.label: f.status for f in view.findings}
    return "".join(f'<span class="flag {esc(status[lab])}">{esc(lab)}</span>' for lab in labels)


def refs(numbers: Iterable[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)


def knowledge(view: ReplayView) -> str:
    since: Mapping[str, Mapping[str, str]] = view.picture.get("knowledge_since", {})
    head = "".join(f"<th>{agency_html(a)}</th>" for a in view.agencies)
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
        cells.append(f'<td class="{esc(cls)}">{esc(fmt_time(at))}</td>')
    return (
        f'<tr><td class="num">{e.number}</td><td>{esc(e.summary)}</td>'
        f'<td class="time">{esc(fmt_time(e.occurred_at))}</td>{"".join(cells)}</tr>'
    )


def unit_columns(picture: Mapping[str, Any]) -> list[tuple[str, str, frozenset[str]]]:
    """(agency, unit, event ids it knew) for each unit the picture names, in order."""
    units: Mapping[str, Mapping[str, list[str]]] = picture.get("unit_knowledge", {})
    return [(a, u, frozenset(ids)) for a, by_unit in units.items() for u, ids in by_unit.items()]


def unit_knowledge(view: ReplayView) -> str:
    """Only when some unit was named: which part of an agency held each event."""
    columns = unit_columns(view.picture)
    if not columns:
        return ""
    head = "".join(f"<th>{agency_html(a)} ({esc(u)})</th>" for a, u, _ in columns)
    rows = "".join(
        f'<tr><td class="num">{e.number}</td><td>{esc(e.summary)}</td>'
        + "".join(
            '<td class="known">✓</td>' if e.event_id in ids else '<td class="none"></td>'
            for _, _, ids in columns
        )
        + "</tr>"
        for e in view.events
        if any(e.event_id in ids for _, _, ids in columns)
    )
    return (
        '<section class="knowledge units"><h2>Within agencies: which unit knew <small>a tick '
        "is a unit that recorded or was told of the event; blank is a part of the same agency "
        "that was not</small></h2>"
        f'<table class="matrix"><thead><tr><th class="num">#</th><th>Event</th>{head}</tr>'
        f"</thead><tbody>{rows}</tbody></table></section>"
    )


def obligations(view: ReplayView) -> str:
    numbers = {e.event_id: e.number for e in view.events}
    rows = []
    for ob in sorted(view.picture.get("obligations", []), key=lambda o: o["due_at"]):
        triggers = refs(numbers[t] for t in ob.get("trigger_event_ids", []) if t in numbers)
        met_by = numbers.get(ob.get("met_by_event_id") or "")
        rows.append(
            f"<tr><td>{esc(ob['rule'])}</td><td>{triggers}</td><td>{agency_html(ob.get('to_agency'))}"
            f'</td><td class="time">{esc(fmt_time(when(ob["due_at"])))}</td>'
            f'<td class="time">{esc(fmt_time(when(ob.get("met_at"))))}'
            f"{f' by #{met_by}' if met_by else ''}</td>"
            f'<td class="state {esc(ob.get("state", ""))}">'
            f"{esc(finding_status(str(ob.get('state', ''))))}</td></tr>"
        )
    return (
        '<section class="obligations"><h2>What was required, and when it was done</h2>'
        "<table><thead><tr><th>Rule</th><th>Triggered by</th><th>To</th><th>Due</th>"
        f"<th>Met</th><th>State</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def status(view: ReplayView) -> str:
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
            f"{agency_html(a)}: <strong>{esc(str(v['basis']).replace('_', ' '))}</strong> "
            f"(#{numbers.get(v['event_id'], '?')}, {esc(fmt_time(when(v['at'])))})"
            for a, v in by_agency.items()
        )
        rows.append(f"<tr><td>{esc(child)}{conflict}</td><td>{cells}</td></tr>")
    body = "".join(rows) or '<tr><td colspan="2">No placement recorded.</td></tr>'
    return (
        "<h3>Legal status as each agency recorded it</h3><table><thead><tr><th>Child</th>"
        f"<th>Recorded basis</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _agreements(view: ReplayView) -> str:
    out = ["<h3>Written agreements</h3>"]
    for a in view.picture.get("agreements", []):
        adults = ", ".join(
            f"{esc(p['person'])} ({'confirmed' if p.get('confirmed') else 'not confirmed'})"
            for p in a.get("protective_adults", [])
        )
        refused = ", ".join(esc(r["person"]) for r in a.get("refused_by", [])) or "nobody"
        conditions = "".join(f"<li>{esc(c)}</li>" for c in a.get("conditions", []))
        out.append(
            f"<p><strong>{esc(a.get('agreement_id', ''))}</strong> — {esc(a.get('state', ''))}; "
            f"made {esc(fmt_time(when(a.get('made_at'))))} for "
            f"{esc(', '.join(a.get('children', [])))}; signed by "
            f"{esc(', '.join(a.get('signed_by', [])) or 'nobody')}; protective adults: "
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
                f"{agency_html(a)} {esc(fmt_time(when(s)))}"
                for a, s in p.get("known_by", {}).items()
            )
            rows.append(f"<tr><td>{esc(p['ref'])}</td><td>{role}</td><td>{known}</td></tr>")
    return (
        "<h3>People, and when each agency knew of them</h3><table><thead><tr><th>Person</th>"
        f"<th></th><th>Known by</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
