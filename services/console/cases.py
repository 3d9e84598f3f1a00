"""Reviewers' and duty managers' case pages: the case list with open findings, the
joint picture of one case as of any moment, and its review document to download.

Everything is read through the projection's own casebook and the replay renderers,
so the page, the API and the review document cannot disagree.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from events.agencies import Agency
from events.findings import SEVERITY_ORDER, concerns
from services.console.inbox import paginate
from services.console.sessions import Session
from services.console.web import Refused, SessionDep, audit_reads, render
from services.projection.casebook import CaseUnavailable
from services.projection.domain.picture import picture
from services.projection.domain.rules import RULES
from services.projection.replay import render_html, render_json, render_markdown
from services.projection.replay.timeline import render_timeline
from services.projection.replay.view import LONDON, EventView, build_view
from services.projection.service import ProjectionService

READERS = ("reviewer", "duty_manager", "admin")
FORMATS = {
    "html": (render_html, "text/html; charset=utf-8"),
    "md": (render_markdown, "text/markdown; charset=utf-8"),
    "json": (render_json, "application/json"),
}


def cases_router() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/console/cases", case_list, methods=["GET"])
    router.add_api_route("/console/cases/{case_id}", case_page, methods=["GET"])
    router.add_api_route("/console/cases/{case_id}/review.{fmt}", review, methods=["GET"])
    return router


def _projection(request: Request, session: Session) -> ProjectionService:
    if session.principal.role not in READERS:
        raise Refused("Case pages are for reviewers, duty managers and admins.")
    projection: ProjectionService | None = getattr(request.app.state, "projection", None)
    if projection is None:
        raise Refused("Case pages are served by the projection, not by this service.", 503)
    return projection


async def case_list(
    request: Request,
    session: SessionDep,
    rule: str = "",
    severity: str = "",
    agency: str = "",
    page: int = 1,
) -> Response:
    projection = _projection(request, session)
    now = projection.now()
    book = await projection.readable()
    rows = []
    for case_id in sorted(book.case_ids()):
        open_ = [
            f
            for f in book.findings(case_id, now)
            if f.status == "open"
            and (not rule or f.rule == rule)
            and (not severity or f.severity == severity)
            and (not agency or concerns(f.to_json(), agency))
        ]
        if (rule or severity or agency) and not open_:
            continue
        rows.append(_row(case_id, book.state(case_id), open_))
    shown = paginate(rows, page)
    await audit_reads(request, session, [r["case_id"] for r in shown.items])
    filters = {"rule": rule, "severity": severity, "agency": agency}
    return render(
        request,
        "cases.html",
        session,
        page=shown,
        filters=filters,
        query=urlencode(filters) + "&",
        rules=sorted(RULES),
        severities=sorted(SEVERITY_ORDER, key=SEVERITY_ORDER.__getitem__, reverse=True),
        agencies=[str(a) for a in Agency],
    )


def _row(case_id: str, state: Any, open_: list[Any]) -> dict[str, Any]:
    """One line of the list; ``state`` is None for a case set aside as degraded,
    which is listed (so nobody thinks it gone) with nothing read from it."""
    worst = max((SEVERITY_ORDER[f.severity] for f in open_), default=-1)
    events = [] if state is None else state.events
    return {
        "case_id": case_id,
        "degraded": state is None,
        "children": [] if state is None else sorted(state.children),
        "events": None if state is None else len(events),
        "last": events[-1].occurred_at if events else None,
        "open": len(open_),
        "worst": next((s for s, n in SEVERITY_ORDER.items() if n == worst), ""),
        "rules": sorted({f.rule for f in open_}),
    }


def _as_of(value: str, now: datetime) -> datetime:
    """From the page's ``datetime-local`` field (Europe/London) or RFC 3339."""
    if not value:
        return now
    try:
        at = datetime.fromisoformat(value)
    except ValueError as e:
        raise Refused("'As of' must be a date and time, such as 2017-01-03T09:00.", 422) from e
    return at.replace(tzinfo=LONDON) if at.tzinfo is None else at


async def _document(projection: ProjectionService, case_id: str, as_of: str) -> dict[str, Any]:
    book = await projection.readable(case_id)
    if case_id not in book:
        raise Refused("There is no such case.", 404)
    now = projection.now()
    at = _as_of(as_of, now)
    try:  # the picture filters to ``at`` itself: no refold of the events up to then
        shown = book.read(case_id, lambda state: picture(state, at))
    except CaseUnavailable as e:
        raise Refused("This case is set aside for repair; its picture cannot be shown.", 503) from e
    return {
        "picture": shown,
        "generated_at": now.isoformat(),
        "as_of": at.isoformat(),
        "recorded_by": None,
    }


CHRONOLOGY_PAGE = 200
"""Chronology rows a case page shows: the latest first page, earlier ones behind links.
The swimlane and the findings stay complete; the review document has every row."""


@dataclass(frozen=True, slots=True)
class Chronology:
    """One page of the chronology, counted back from the latest event: page 1 holds
    the latest ``size`` events (shown oldest first), page 2 the ones before..."""

    events: tuple[EventView, ...]
    number: int
    pages: int
    total: int
    size: int
    query: str
    """The page's other parameters (``as_of=...&``), kept by every link."""

    @property
    def first(self) -> int:
        return self.events[0].number if self.events else 0

    @property
    def last(self) -> int:
        return self.events[-1].number if self.events else 0

    def href(self, number: int) -> str:
        """Where event ``number`` is listed: an anchor here, or on its own page."""
        page = (self.total - number) // self.size + 1
        return f"#e{number}" if page == self.number else f"?{self.query}page={page}#e{number}"

    def links(self, numbers: Iterable[int]) -> Markup:
        """``#3, #7`` linked to where each event is listed (hrefs escaped)."""
        return Markup(", ".join(f'<a href="{escape(self.href(n))}">#{n:d}</a>' for n in numbers))


def chronology_page(
    events: tuple[EventView, ...], number: int, query: str, size: int = CHRONOLOGY_PAGE
) -> Chronology:
    pages = max(1, -(-len(events) // size))
    number = min(max(number, 1), pages)
    end = len(events) - (number - 1) * size
    return Chronology(events[max(0, end - size) : end], number, pages, len(events), size, query)


async def case_page(
    request: Request, session: SessionDep, case_id: str, as_of: str = "", page: int = 1
) -> Response:
    doc = await _document(_projection(request, session), case_id, as_of)
    await audit_reads(request, session, [case_id])
    view = build_view(doc)
    return render(
        request,
        "case.html",
        session,
        case_id=case_id,
        pic=doc["picture"],
        view=view,
        chronology=chronology_page(view.events, page, f"as_of={quote(as_of)}&" if as_of else ""),
        as_of=as_of,
        as_of_local=view.as_of.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M"),
        timeline=Markup(render_timeline(view)),  # the replay renderer escapes every string
    )


async def review(
    request: Request,
    session: SessionDep,
    case_id: str,
    fmt: Literal["html", "md", "json"],
    as_of: str = "",
) -> Response:
    doc = await _document(_projection(request, session), case_id, as_of)
    await audit_reads(request, session, [case_id])
    renderer, media_type = FORMATS[fmt]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{case_id}-review.{fmt}")
    return Response(
        renderer(doc),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
