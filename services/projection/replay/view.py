"""The replay document, read once into what every renderer shows.

A document is ``{"picture", "generated_at", "as_of", "recorded_by"}`` as built by
``services.projection.review.review_document``. Events are numbered 1..n in the
order they occurred, findings F1..Fn in the order they fell due; renderers refer
to both by those labels. Who a sharing event reached, and who attended a strategy
discussion, is read from ``knowledge_since``: those agencies learned the event
itself at the moment it occurred.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from events.agencies import Agency
from services.projection.domain import wording

LONDON = ZoneInfo("Europe/London")
AGENCY_ORDER: tuple[str, ...] = tuple(a.value for a in Agency)
ALWAYS_SHOWN = frozenset({"police", "edt", "health"})
"""Lanes every replay shows, even empty (the Child K agencies: an empty lane says
that agency knew nothing); the others only when they took part."""
AGENCY_NAMES = {
    "police": "Police",
    "edt": "EDT (social care)",
    "health": "Health",
    "education": "Education (schools)",
    "children_social_care": "Children's social care",
    "safeguard": "Safeguard alerts",
}
SHARING_TYPES = frozenset({"information.shared", "request.made"})
MEETING_TYPES = frozenset({"strategy_discussion.held"})
LATE_RECORDING = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class EventView:
    number: int
    event_id: str
    type: str
    agency: str
    occurred_at: datetime
    recorded_at: datetime
    children: tuple[str, ...]
    summary: str
    detail: str
    finding_labels: tuple[str, ...]
    reached: tuple[str, ...]
    """Agencies this sharing event or strategy discussion reached, author excluded."""
    passed_on: tuple[int, ...] = ()
    """Events those agencies learned through this one."""
    unit: str | None = None
    """The part of the agency that recorded it, when the actor named one."""
    late_by: timedelta | None = None
    """How long after the case's own record had moved past this event it was
    recorded (see ``_late_by``); None when it was not late."""

    @property
    def recording_delay(self) -> timedelta:
        return self.recorded_at - self.occurred_at

    @property
    def recorded_late(self) -> bool:
        return self.late_by is not None


@dataclass(frozen=True, slots=True)
class FindingView:
    label: str
    finding_id: str
    rule: str
    status: str
    severity: str
    explanation: str
    to_agency: str | None
    children: tuple[str, ...]
    concerns: tuple[str, ...]
    due_at: datetime
    met_at: datetime | None
    resolved_at: datetime | None
    resolution: str
    """Who closed the finding and why, if a duty manager did."""
    starts_at: datetime
    """When the earliest trigger occurred: the obligation's window opens here."""
    triggers: tuple[int, ...]
    met_by: int | None


@dataclass(frozen=True, slots=True)
class ReplayView:
    case_id: str
    as_of: datetime
    generated_at: datetime | None
    recorded_by: datetime | None
    agencies: tuple[str, ...]
    events: tuple[EventView, ...]
    findings: tuple[FindingView, ...]
    picture: Mapping[str, Any]

    def event(self, event_id: str) -> EventView | None:
        return next((e for e in self.events if e.event_id == event_id), None)


def when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def build_view(doc: Mapping[str, Any]) -> ReplayView:
    pic = doc["picture"]
    rows = sorted(pic.get("chronology", []), key=lambda r: (r["occurred_at"], r["position"]))
    numbers = {r["event_id"]: i for i, r in enumerate(rows, 1)}
    findings = _findings(pic.get("findings", []), numbers, rows)
    labels: dict[str, list[str]] = {}
    for f in findings:
        labels.setdefault(f.finding_id, []).append(f.label)
    since = pic.get("knowledge_since", {})
    events = _with_lateness(
        tuple(
            _with_passed_on(_event(i, r, labels, since), since, numbers)
            for i, r in enumerate(rows, 1)
        )
    )
    as_of = when(doc.get("as_of") or pic.get("as_of"))
    return ReplayView(
        case_id=str(pic.get("case_id", "")),
        as_of=as_of or max((e.recorded_at for e in events), default=datetime.min),
        generated_at=when(doc.get("generated_at")),
        recorded_by=when(doc.get("recorded_by")),
        agencies=_agencies(events, since),
        events=events,
        findings=findings,
        picture=pic,
    )


def _event(
    number: int, row: Mapping[str, Any], labels: Mapping[str, list[str]], since: Mapping[str, Any]
) -> EventView:
    occurred = datetime.fromisoformat(row["occurred_at"])
    return EventView(
        number=number,
        event_id=row["event_id"],
        type=row["type"],
        agency=row["agency"],
        unit=row.get("unit"),
        occurred_at=occurred,
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        children=tuple(row.get("children", ())),
        summary=_without_author(str(row.get("summary", "")), row["agency"], row.get("unit")),
        detail=str(row.get("detail") or ""),
        finding_labels=tuple(lab for fid in row.get("finding_ids", ()) for lab in labels[fid]),
        reached=_reached(row, occurred, since.get(row["event_id"], {})),
    )


def _with_passed_on(
    e: EventView, since: Mapping[str, Mapping[str, str]], numbers: Mapping[str, int]
) -> EventView:
    if not e.reached:
        return e
    learned = sorted(
        numbers[eid]
        for eid, known in since.items()
        if eid != e.event_id
        and eid in numbers
        and any(when(known.get(a)) == e.occurred_at for a in e.reached)
    )
    return replace(e, passed_on=tuple(learned))


def _with_lateness(events: tuple[EventView, ...]) -> tuple[EventView, ...]:
    """Mark each event recorded over ``LATE_RECORDING`` after the record already held
    something that happened later. Measured against the case's own record, not the
    wall clock: a case loaded in one go long after the fact (a demo, a bulk import)
    is not "3,622 d late" throughout, while an observation written up two days after
    the events that followed it still is."""
    out: list[EventView] = []
    overtaken: datetime | None = None  # earliest recording of any event occurring later
    for e in reversed(events):
        late = None if overtaken is None else e.recorded_at - max(overtaken, e.occurred_at)
        out.append(replace(e, late_by=late) if late and late > LATE_RECORDING else e)
        if overtaken is None or e.recorded_at < overtaken:
            overtaken = e.recorded_at
    return tuple(reversed(out))


def _reached(
    row: Mapping[str, Any], occurred: datetime, known: Mapping[str, str]
) -> tuple[str, ...]:
    if row["type"] not in SHARING_TYPES | MEETING_TYPES:
        return ()
    return tuple(
        sorted(
            (a for a, s in known.items() if a != row["agency"] and when(s) == occurred),
            key=agency_rank,
        )
    )


def _findings(
    items: list[Mapping[str, Any]], numbers: Mapping[str, int], rows: list[Mapping[str, Any]]
) -> tuple[FindingView, ...]:
    occurred = {r["event_id"]: datetime.fromisoformat(r["occurred_at"]) for r in rows}
    ordered = sorted(items, key=lambda f: (f["due_at"], f["rule"], f["finding_id"]))
    out = []
    for i, f in enumerate(ordered, 1):
        due = datetime.fromisoformat(f["due_at"])
        starts = [occurred[t] for t in f["trigger_event_ids"] if t in occurred]
        out.append(
            FindingView(
                label=f"F{i}",
                finding_id=f["finding_id"],
                rule=f["rule"],
                status=f["status"],
                severity=f.get("severity", ""),
                explanation=f.get("explanation", ""),
                to_agency=f.get("to_agency"),
                children=tuple(f.get("children", ())),
                concerns=tuple(f.get("concerns_agencies", ())),
                due_at=due,
                met_at=when(f.get("met_at")),
                resolved_at=when(f.get("resolved_at")),
                resolution=": ".join(
                    str(f[k]) for k in ("resolved_by", "resolution_reason") if f.get(k)
                ),
                starts_at=min(starts, default=due),
                triggers=tuple(sorted(numbers[t] for t in f["trigger_event_ids"] if t in numbers)),
                met_by=numbers.get(f.get("met_by_event_id") or ""),
            )
        )
    return tuple(out)


def _without_author(summary: str, agency: str, unit: str | None = None) -> str:
    """The domain's summaries start "Police: ..." or "Health (hospital-ed): ..."; the
    agency has its own column here."""
    head, sep, rest = summary.partition(": ")
    if not sep:
        return summary
    named = wording.agency(agency, start=True) + (f" ({unit})" if unit else "")
    return rest if head == named or head.lower() == agency.lower() else summary


def agency_rank(agency: str) -> tuple[int, str]:
    order = AGENCY_ORDER.index(agency) if agency in AGENCY_ORDER else len(AGENCY_ORDER)
    return (order, agency)


def _agencies(events: tuple[EventView, ...], since: Mapping[str, Any]) -> tuple[str, ...]:
    seen = set(ALWAYS_SHOWN) | {e.agency for e in events}
    seen |= {a for known in since.values() for a in known}
    return tuple(sorted(seen, key=agency_rank))


def agency_name(agency: str | None) -> str:
    return "" if agency is None else AGENCY_NAMES.get(agency, agency)


def author_name(e: EventView) -> str:
    """The agency, and its unit when named: "Health (hospital-ed)"."""
    return agency_name(e.agency) + (f" ({e.unit})" if e.unit else "")


def local(value: datetime) -> datetime:
    return value.astimezone(LONDON)


@lru_cache(maxsize=16384)
def fmt_time(value: datetime | None, *, year: bool = True) -> str:
    """``Sat 31 Dec 2016 08:20`` in Europe/London: a review is read years later, so
    every date carries its year (``year=False`` only where space is tight).
    Remembered: a long case shows each of thousands of times in several places."""
    if value is None:
        return ""
    return local(value).strftime("%a %d %b %Y %H:%M" if year else "%a %d %b %H:%M")


def fmt_delay(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{mins} min" if mins else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"


def finding_status(status: str) -> str:
    return {"open": "overdue", "met_late": "met late"}.get(status, status.replace("_", " "))
