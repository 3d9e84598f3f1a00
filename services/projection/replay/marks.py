"""What the swimlane timeline draws: lanes, event dots, sharing arrows, strategy
discussions, late recordings, findings and the legend. Each returns SVG text with
every string escaped."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from services.projection.domain.rules.strategy import REQUIRED_ATTENDEES
from services.projection.replay.neutral import html_text as esc
from services.projection.replay.view import (
    EventView,
    FindingView,
    ReplayView,
    agency_name,
    finding_status,
    fmt_delay,
    fmt_time,
)

WIDTH, LEFT, RIGHT, AXIS, STACK = 1480, 150, 30, 58, 27
COLOURS = {
    "police": "#1d4f91",
    "edt": "#7a3e9d",
    "health": "#0f7b5f",
    "education": "#9a5b00",
    "children_social_care": "#a3245e",
}
RED, DARK_RED, AMBER, GREY = "#c62828", "#8e1b1b", "#b7791f", "#555555"
HALO = 'stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'


@dataclass(frozen=True, slots=True)
class Scale:
    start: datetime
    end: datetime
    px_per_second: float = field(init=False, repr=False, compare=False)
    """Worked out once: a long case places thousands of marks."""

    def __post_init__(self) -> None:
        span = (self.end - self.start).total_seconds() or 1.0
        object.__setattr__(self, "px_per_second", (WIDTH - LEFT - RIGHT) / span)

    def x(self, t: datetime) -> float:
        """Position on the axis; a time off either end sits at that end."""
        t = min(max(t, self.start), self.end)
        return LEFT + (t - self.start).total_seconds() * self.px_per_second

    @property
    def px_per_hour(self) -> float:
        return self.x(self.start + timedelta(hours=1)) - LEFT


@dataclass(frozen=True, slots=True)
class Lane:
    agency: str
    top: float
    centre: float
    bottom: float
    rows: dict[int, int]
    """Event number → stacking row (0 on the lane's line, 1 above it, ...)."""

    def y(self, number: int) -> float:
        return self.centre - self.rows[number] * STACK


@lru_cache(maxsize=256)
def esc_word(word: str) -> str:
    """``esc`` remembered, for the few words repeated on every mark (event types,
    finding statuses, agency ids); never for free text."""
    return esc(word)


def colour(agency: str) -> str:
    return COLOURS.get(agency, GREY)


def vline(x: float, y0: float, y1: float, stroke: str, cls: str, width: float) -> str:
    return (
        f'<line class="{cls}" x1="{x:.1f}" y1="{y0:.1f}" x2="{x:.1f}" y2="{y1:.1f}" '
        f'stroke="{stroke}" stroke-width="{width}"/>'
    )


def defs() -> str:
    marker = (
        '<marker id="head-{a}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="{c}"/></marker>'
    )
    heads = "".join(marker.format(a=a, c=c) for a, c in [*COLOURS.items(), ("other", GREY)])
    hatch = (
        '<pattern id="overdue" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="3" height="6" fill="{RED}"/></pattern>'
    )
    return f"<defs>{heads}{hatch}</defs>"


def lane(view: ReplayView, lane: Lane) -> str:
    c, mid = colour(lane.agency), (lane.top + lane.bottom) / 2
    count = sum(1 for e in view.events if e.agency == lane.agency)
    height = lane.bottom - lane.top
    return (
        f'<g class="lane" data-agency="{esc(lane.agency)}">'
        f'<rect x="0" y="{lane.top:.1f}" width="{WIDTH}" height="{height:.1f}" fill="{c}" '
        f'fill-opacity="0.05" stroke="{c}" stroke-opacity="0.25"/>'
        f'<rect x="0" y="{lane.top:.1f}" width="6" height="{height:.1f}" fill="{c}"/>'
        f'<text x="14" y="{mid - 1:.1f}" font-size="14" font-weight="700" fill="{c}">'
        f"{esc(agency_name(lane.agency))}</text>"
        f'<text x="14" y="{mid + 14:.1f}" font-size="10.5" fill="{GREY}">'
        f"{count} event{'s' if count != 1 else ''}</text>"
        f'<line x1="{LEFT}" y1="{lane.centre:.1f}" x2="{WIDTH - RIGHT}" y2="{lane.centre:.1f}" '
        f'stroke="{c}" stroke-opacity="0.45" stroke-width="1"/></g>'
    )


def dot(e: EventView, y: float, scale: Scale) -> str:
    c, x = colour(e.agency), scale.x(e.occurred_at)
    fill = "#fff" if e.recorded_late else c
    ring = (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="none" stroke="{RED}" stroke-width="2"/>'
        if e.finding_labels
        else ""
    )
    tip = f"#{e.number} {fmt_time(e.occurred_at)} {e.summary}"
    return (
        f'<g class="event-mark" data-event="{e.number}" data-type="{esc_word(e.type)}">{ring}'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5.5" fill="{fill}" stroke="{c}" stroke-width="2">'
        f'<title>{esc(tip)}</title></circle><text x="{x:.1f}" y="{y - 11:.1f}" '
        f'font-size="10.5" font-weight="700" text-anchor="middle" '
        f'fill="{RED if e.finding_labels else "#222"}" {HALO}>{e.number}</text></g>'
    )


def arrows(e: EventView, y1: float, centre: dict[str, float], scale: Scale) -> str:
    x, out = scale.x(e.occurred_at), []
    head = e.agency if e.agency in COLOURS else "other"
    for target in e.reached:
        y2 = centre.get(target)
        if y2 is None:
            continue
        sign = 1 if y2 > y1 else -1
        a, b = y1 + sign * 7, y2 - sign * 8
        out.append(
            f'<path class="share-arrow" data-event="{e.number}" data-to="{esc(target)}" '
            f'd="M{x:.1f},{a:.1f} C{x + 16:.1f},{a + sign * 10:.1f} {x + 16:.1f},'
            f'{b - sign * 10:.1f} {x:.1f},{b:.1f}" fill="none" stroke="{colour(e.agency)}" '
            f'stroke-width="1.6" marker-end="url(#head-{head})"/>'
        )
    return "".join(out)


def meeting(e: EventView, centre: dict[str, float], scale: Scale) -> str:
    present = [a for a in (e.agency, *e.reached) if a in centre]
    ys, x = [centre[a] for a in present], scale.x(e.occurred_at)
    out = [
        f'<g class="meeting" data-event="{e.number}"><rect x="{x - 8:.1f}" '
        f'y="{min(ys) - 14:.1f}" width="16" height="{max(ys) - min(ys) + 28:.1f}" rx="8" '
        f'fill="{AMBER}" fill-opacity="0.22" stroke="{AMBER}" stroke-width="1.2"/>'
    ]
    for agency in REQUIRED_ATTENDEES:  # the agencies guidance requires; others may join
        if agency not in present and agency in centre:
            out.append(_absent(agency, x, centre[agency], e.number))
    return "".join(out) + "</g>"


def _absent(agency: str, x: float, y: float, number: int) -> str:
    return (
        f'<g class="absent" data-agency="{agency}"><circle cx="{x:.1f}" cy="{y:.1f}" r="7" '
        f'fill="#fff" stroke="{RED}" stroke-dasharray="2 2"/><path d="M{x - 3.5:.1f},'
        f'{y - 3.5:.1f} l7,7 m0,-7 l-7,7" stroke="{RED}" stroke-width="1.6"/>'
        f'<text x="{x + 12:.1f}" y="{y + 4:.1f}" font-size="10.5" fill="{RED}" {HALO}>'
        f"not at strategy discussion #{number}</text></g>"
    )


def late(e: EventView, lane: Lane, scale: Scale) -> str:
    y, c = lane.centre, colour(e.agency)
    x0, x1 = scale.x(e.occurred_at), scale.x(e.recorded_at)
    text = f"#{e.number} recorded {fmt_delay(e.late_by or e.recording_delay)} late"
    tx, anchor = fitted(x1 - 8, text)
    return (
        f'<g class="late-recording" data-event="{e.number}"><path d="M{x0:.1f},{y + 6:.1f} '
        f'L{x0:.1f},{y + 13:.1f} L{x1:.1f},{y + 13:.1f} L{x1:.1f},{y + 5:.1f}" fill="none" '
        f'stroke="{c}" stroke-dasharray="5 3" stroke-width="1.3"/><rect x="{x1 - 4:.1f}" '
        f'y="{y - 4:.1f}" width="8" height="8" fill="#fff" stroke="{c}" stroke-width="2">'
        f'<title>{esc(text)}</title></rect><text x="{tx:.1f}" y="{y + 25:.1f}" '
        f'font-size="10.5" text-anchor="{anchor}" fill="{c}" {HALO}>{esc(text)}</text></g>'
    )


def text_width(text: str, size: float = 10.5) -> float:
    """A generous estimate of a label's width in px (no font metrics in a pure module)."""
    return len(text) * size * 0.56


def fitted(x: float, text: str, size: float = 10.5) -> tuple[float, str]:
    """Anchor a label ending at ``x``, or starting there when it would run off the
    left of the plot (over the lane names); never past the right edge."""
    width = text_width(text, size)
    if x - width >= LEFT:
        return x, "end"
    return min(x, WIDTH - RIGHT - width), "start"


def findings(view: ReplayView, scale: Scale, top: float, row: float) -> str:
    out = [
        f'<g class="findings"><text x="14" y="{top - 12:.1f}" font-size="14" font-weight="700" '
        f'fill="{DARK_RED}">Findings</text><text x="{LEFT}" y="{top - 12:.1f}" '
        f'font-size="10.5" fill="{GREY}">'
        + (
            "solid red: from what triggered the duty to its deadline · hatched: overdue, until "
            "met (○) or still open at the as-of moment (▶)"
            if view.findings
            else "None: every required step in this record was taken in time."
        )
        + "</text>"
    ]
    out += [_finding(f, scale, top + i * row, view.as_of) for i, f in enumerate(view.findings)]
    return "".join(out) + "</g>"


def _finding(f: FindingView, scale: Scale, y: float, as_of: datetime) -> str:
    x0, xd = scale.x(f.starts_at), scale.x(f.due_at)
    closed = f.met_at or f.resolved_at
    xe = max(scale.x(closed or min(as_of, scale.end)), xd)
    mid = y + 8
    end = (
        f'<circle cx="{xe:.1f}" cy="{mid:.1f}" r="4" fill="#fff" '
        f'stroke="{AMBER if f.met_at else GREY}" stroke-width="2"/>'
        if closed
        else f'<path d="M{xe:.1f},{mid - 5:.1f} l7,5 l-7,5 z" fill="{RED}"/>'
    )
    return (
        f'<g class="finding" data-finding="{f.label}" data-status="{esc_word(f.status)}">'
        f'<line x1="{LEFT}" y1="{mid:.1f}" x2="{WIDTH - RIGHT}" y2="{mid:.1f}" stroke="#e6e6e1"/>'
        f'<text x="14" y="{mid + 4:.1f}" font-size="11" fill="{DARK_RED}">'
        f'<tspan font-weight="700">{f.label}</tspan> {esc_word(finding_status(f.status))}</text>'
        f'<rect class="finding-bar" x="{x0:.1f}" y="{mid - 4:.1f}" '
        f'width="{max(xd - x0, 3):.1f}" height="8" fill="{RED}" rx="2"/>'
        f'<rect class="overdue" x="{xd:.1f}" y="{mid - 3:.1f}" width="{xe - xd:.1f}" '
        f'height="6" fill="url(#overdue)" fill-opacity="0.5"/>'
        + vline(xd, mid - 8, mid + 8, DARK_RED, "deadline", 2)
        + end
        + _finding_label(f, x0, xd, xe, mid)
        + "</g>"
    )


def _finding_label(f: FindingView, x0: float, xd: float, xe: float, mid: float) -> str:
    """Left of the bar if it fits, else after the end mark, else just after the deadline."""
    to = f" → {agency_name(f.to_agency)}" if f.to_agency else ""
    text = f"{f.label} {f.rule}{to}"
    width = 5.2 * len(text) + 8
    if x0 - width > LEFT + 4:
        x, anchor = x0 - 6, "end"
    elif xe + 14 + width < WIDTH - RIGHT:
        x, anchor = xe + 14, "start"
    else:
        x, anchor = xd + 8, "start"
    bg_x = x - width + 4 if anchor == "end" else x - 4
    return (
        f'<rect x="{bg_x:.1f}" y="{mid - 8:.1f}" width="{width:.1f}" height="15" rx="2" '
        f'fill="#fff" fill-opacity="0.92"/><text class="finding-label" x="{x:.1f}" '
        f'y="{mid + 4:.1f}" font-size="10.5" text-anchor="{anchor}" fill="{DARK_RED}">'
        f'<tspan font-weight="700">{esc(f.label)}</tspan>{esc_word(text[len(f.label) :])}'
        "</text>"
    )


def as_of(view: ReplayView, scale: Scale, bottom: float) -> str:
    if not scale.start <= view.as_of <= scale.end:
        return ""
    x = scale.x(view.as_of)
    text = f"as of {fmt_time(view.as_of)}"
    tx, anchor = fitted(x - 4, text)
    return (
        f'<g class="as-of">{vline(x, AXIS - 18, bottom, "#222", "as-of-line", 1.4)}'
        f'<text x="{tx:.1f}" y="{AXIS - 6}" font-size="10.5" text-anchor="{anchor}" '
        f'font-weight="700" {HALO}>{esc(text)}</text></g>'
    )


def legend(y: float) -> str:
    x = LEFT
    items = [
        f'<circle cx="{x + 6}" cy="{y}" r="5.5" fill="{COLOURS["police"]}"/>'
        f'<text x="{x + 16}" y="{y + 4}">event, numbered as in the chronology</text>',
        f'<circle cx="{x + 246}" cy="{y}" r="5.5" fill="#fff" stroke="{GREY}" stroke-width="2"/>'
        f'<text x="{x + 256}" y="{y + 4}">recorded over an hour late (□ when)</text>',
        f'<circle cx="{x + 476}" cy="{y}" r="9" fill="none" stroke="{RED}" stroke-width="2"/>'
        f'<text x="{x + 490}" y="{y + 4}">triggered a finding</text>',
        f'<path d="M{x + 616},{y - 8} C{x + 630},{y - 2} {x + 630},{y + 2} {x + 616},{y + 8}" '
        f'stroke="{GREY}" fill="none" stroke-width="1.6" marker-end="url(#head-other)"/>'
        f'<text x="{x + 636}" y="{y + 4}">information shared or request made</text>',
        f'<rect x="{x + 860}" y="{y - 9}" width="12" height="18" rx="6" fill="{AMBER}" '
        f'fill-opacity="0.25" stroke="{AMBER}"/><text x="{x + 878}" y="{y + 4}">'
        "strategy discussion, across the lanes attending</text>",
    ]
    return f'<g class="legend" font-size="11" fill="#333">{"".join(items)}</g>'
