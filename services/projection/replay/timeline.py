"""The swimlane timeline: one lane per agency, x = when things happened.

Layout lives here (time scale, lanes, dots stacked so none hides another); the
marks themselves are drawn by ``marks``. Returns SVG text; every string is escaped.
"""

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from events.agencies import SYSTEM_AGENCY
from services.projection.replay import marks
from services.projection.replay.marks import AXIS, LEFT, RIGHT, STACK, WIDTH, Lane, Scale
from services.projection.replay.neutral import html_text as esc
from services.projection.replay.view import (
    MEETING_TYPES,
    SHARING_TYPES,
    EventView,
    ReplayView,
    local,
)

SPREAD, FINDING_ROW, MAX_ROWS = 20, 22, 6
"""Dots closer than SPREAD px in one lane go on separate rows, at most MAX_ROWS of them."""


@dataclass(frozen=True, slots=True)
class Layout:
    scale: Scale
    lanes: dict[str, Lane]
    findings_top: float
    bottom: float


RENDERED_KEPT = 4
_rendered: OrderedDict[Hashable, str] = OrderedDict()
_kept = Lock()  # a CLI or a worker thread may render too


def render_timeline(view: ReplayView) -> str:
    """The swimlane of ``view``; the last few are remembered. The drawing reads only
    the case id, agencies, events, findings and the as-of moment, and the moment not
    at all once it is past the axis's reach (see ``_moment_drawn``): a case page read
    again draws nothing anew until an event, a finding or its status changes."""
    key = (
        view.case_id,
        view.agencies,
        view.events,
        view.findings,
        view.as_of if _moment_drawn(view) else None,
    )
    with _kept:
        svg = _rendered.get(key)
        if svg is not None:
            _rendered.move_to_end(key)
            return svg
    svg = _render(view)
    with _kept:
        _rendered[key] = svg
        while len(_rendered) > RENDERED_KEPT:
            _rendered.popitem(last=False)
    return svg


def _render(view: ReplayView) -> str:
    box = layout(view)
    centre = {a: lane.centre for a, lane in box.lanes.items()}
    placed = [(e, box.lanes[e.agency]) for e in view.events if e.agency in box.lanes]
    scale = box.scale
    parts = [
        marks.defs(),
        _axis(scale, box.bottom),
        *(marks.lane(view, lane) for lane in box.lanes.values()),
        *(marks.meeting(e, centre, scale) for e in view.events if e.type in MEETING_TYPES),
        *(
            marks.arrows(e, lane.y(e.number), centre, scale)
            for e, lane in placed
            if e.type in SHARING_TYPES
        ),
        *(marks.late(e, lane, scale) for e, lane in placed if e.recorded_late),
        *(marks.dot(e, lane.y(e.number), scale) for e, lane in placed),
        marks.findings(view, scale, box.findings_top, FINDING_ROW),
        marks.as_of(view, scale, box.bottom),
        marks.legend(box.bottom + 24),
    ]
    title = f"Swimlane timeline of case {view.case_id}"
    return (
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
        f'{box.bottom + 40:.0f}" role="img" aria-label="{esc(title)}" '
        f'font-family="Helvetica, Arial, sans-serif"><title>{esc(title)}</title>'
        f"{''.join(parts)}</svg>"
    )


REACH = timedelta(days=3)
"""How far past the last event or deadline the axis may stretch for later marks."""


def layout(view: ReplayView) -> Layout:
    scale = _scale(view)
    lanes, top = {}, float(AXIS)
    for agency in view.agencies:
        rows = _stack([e for e in view.events if e.agency == agency], scale)
        centre = top + 26 + max(rows.values(), default=0) * STACK
        lanes[agency] = Lane(agency, top, centre, centre + 30, rows)
        top = centre + 30
    findings_top = top + 34
    return Layout(scale, lanes, findings_top, findings_top + len(view.findings) * FINDING_ROW)


def _scale(view: ReplayView) -> Scale:
    """Fit what happened and what fell due; a late recording or a late meeting of a
    duty stretches the axis only up to ``REACH`` beyond that, so a case posted years
    after the fact (a demo, a bulk import) still reads at the scale of its events.
    Marks beyond the axis are drawn at its edge."""
    fitted = _fit(view)
    if fitted is None:
        return Scale(view.as_of - timedelta(hours=12), view.as_of + timedelta(hours=1))
    start, end = fitted
    if end < view.as_of <= end + AS_OF_REACH:
        end = view.as_of + timedelta(hours=1)
    return Scale(start, end)


AS_OF_REACH = timedelta(days=1)
"""An as-of moment this far past the events stretches the axis to show it."""


def _fit(view: ReplayView) -> tuple[datetime, datetime] | None:
    """The axis from the agencies' events and the findings alone; None when there
    are none. Safeguard's own records (alerts sent, acknowledged) follow the findings
    they are about: they are drawn within ``REACH`` of them, or at the axis's edge,
    so alerts sent today about a case of years ago (a demo, an import) do not squeeze
    the case into a sliver of a ten-year axis."""
    core = [e.occurred_at for e in view.events if e.agency != SYSTEM_AGENCY]
    core += [t for f in view.findings for t in (f.starts_at, f.due_at) if t]
    if not core:
        return None
    last = max(core)
    later = [e.recorded_at for e in view.events if e.recorded_late]
    later += [e.occurred_at for e in view.events if e.agency == SYSTEM_AGENCY]
    later += [f.met_at for f in view.findings if f.met_at]
    start = min(core).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    end = max([last, *(t for t in later if t <= last + REACH)]) + timedelta(hours=2)
    return start, end


def _moment_drawn(view: ReplayView) -> bool:
    """Whether the as-of moment changes the drawing. Past the axis's reach it does
    not: the axis is fitted without it, no as-of line is drawn, and open findings'
    overdue bars run to the axis's end."""
    fitted = _fit(view)
    return fitted is None or view.as_of <= fitted[1] + AS_OF_REACH


def _stack(events: list[EventView], scale: Scale) -> dict[int, int]:
    """Put each dot on the lowest row where it clears the dot before it."""
    row_end: list[float] = []
    rows: dict[int, int] = {}
    for e in sorted(events, key=lambda e: (e.occurred_at, e.number)):
        x = scale.x(e.occurred_at)
        row = next((i for i, end in enumerate(row_end) if end <= x - SPREAD), len(row_end))
        if row == MAX_ROWS:
            row = min(range(MAX_ROWS), key=row_end.__getitem__)
        elif row == len(row_end):
            row_end.append(0.0)
        row_end[row] = x
        rows[e.number] = row
    return rows


def _axis(scale: Scale, bottom: float) -> str:
    """Day bands (or month bands for a long case) with their names, then hour ticks."""
    monthly = scale.px_per_hour * 24 < 30
    out = ['<g class="axis" font-size="11" fill="#333">']
    day = local(scale.start).replace(hour=0, minute=0, second=0, microsecond=0)
    if monthly:
        day = day.replace(day=1)
    shade = True
    while day < scale.end:
        nxt = _next_month(day) if monthly else day + timedelta(days=1)
        out.append(_band(scale, day, nxt, bottom, "#f5f5f1" if shade else "#ffffff", monthly))
        shade, day = not shade, nxt
    out.append(_ticks(scale, bottom))
    return "".join(out) + "</g>"


def _next_month(day: datetime) -> datetime:
    return day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)


def _band(
    scale: Scale, day: datetime, nxt: datetime, bottom: float, fill: str, monthly: bool
) -> str:
    x0, x1 = max(scale.x(day), LEFT), min(scale.x(nxt), WIDTH - RIGHT)
    if x1 <= x0:
        return ""
    wide, short = ("%B %Y", "%b") if monthly else ("%A %d %B %Y", "%a %d %b")
    name = day.strftime(wide if x1 - x0 > 170 else short) if x1 - x0 > 40 else ""
    boundary = marks.vline(x0, 0, bottom, "#6f6f6a", "day-boundary", 1.2)
    return (
        f'<rect class="day" x="{x0:.1f}" y="0" width="{x1 - x0:.1f}" height="{bottom:.0f}" '
        f'fill="{fill}"/><text class="day-label" x="{(x0 + x1) / 2:.1f}" y="15" '
        f'text-anchor="middle" font-weight="700" font-size="12.5">{esc(name)}</text>'
        + (boundary if scale.x(day) >= LEFT else "")
    )


def _ticks(scale: Scale, bottom: float) -> str:
    step = next((h for h in (1, 2, 3, 6, 12) if h * scale.px_per_hour >= 30), 24)
    t = local(scale.start).replace(minute=0, second=0, microsecond=0)
    out = []
    while t <= scale.end:
        if t.hour % step == 0 and t.hour and scale.x(t) >= LEFT:
            x = scale.x(t)
            out.append(
                f'<text x="{x:.1f}" y="{AXIS - 26}" text-anchor="middle" fill="#555" '
                f'font-size="10">{t:%H}:00</text>'
                + marks.vline(x, AXIS - 20, bottom, "#d5d5d0", "tick", 0.6)
            )
        t += timedelta(hours=1)
    return "".join(out)
