"""Reading the joint picture: cases, pictures and findings, live or as of any moment.

``as_of`` counts events that occurred by that time and evaluates deadlines then;
``recorded_by`` also leaves out what the system had not yet been told.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from events.findings import concerns
from services.http.audit import AuditedRead, AuditedRoute
from services.http.auth import ReaderPrincipal
from services.http.problems import NotFound, Problem
from services.http.runtime import started
from services.projection.casebook import CaseUnavailable, DegradedCase
from services.projection.domain.evaluate import evaluate
from services.projection.domain.fold import as_of as occurred_by
from services.projection.domain.fold import fold
from services.projection.domain.picture import picture
from services.projection.domain.state import CaseState
from services.projection.service import ProjectionService

T = TypeVar("T")

AsOf = Annotated[
    AwareDatetime | None,
    Query(description="Evaluate as of this moment (RFC 3339 with offset). Default: now."),
]
RecordedBy = Annotated[
    AwareDatetime | None,
    Query(description="Leave out events recorded after this moment."),
]


class CaseDegraded(Problem):
    """The case's fold or evaluation raised: its picture is withheld rather than
    shown wrong; every other case is served as usual."""

    status, title, slug = 503, "Case Degraded", "case-degraded"


async def get_projection(request: Request) -> ProjectionService:
    projection: ProjectionService = started(request, "projection", "projection")
    return projection


Projection = Annotated[ProjectionService, Depends(get_projection)]


def projection_router() -> APIRouter:
    router = APIRouter(tags=["joint picture"], dependencies=[AuditedRead], route_class=AuditedRoute)
    router.add_api_route("/cases", list_cases, methods=["GET"])
    router.add_api_route("/cases/{case_id}/picture", case_picture, methods=["GET"])
    router.add_api_route("/cases/{case_id}/findings", case_findings, methods=["GET"])
    router.add_api_route("/findings", all_findings, methods=["GET"])
    return router


async def list_cases(projection: Projection, who: ReaderPrincipal) -> dict[str, Any]:
    """Every case the projection knows, with its open findings count; a degraded
    case (one its fold or evaluation could not take) says why in ``degraded``."""
    now = projection.now()
    book = await projection.readable()
    cases = []
    for case_id in sorted(book.case_ids()):
        findings = book.findings(case_id, now)  # first: it may degrade the case
        state = book.state(case_id)
        if state is None:
            cases.append(_degraded_entry(book.degraded()[case_id]))
            continue
        cases.append(
            {
                "case_id": case_id,
                "events": len(state.events),
                "children": sorted(state.children),
                "last_occurred_at": state.events[-1].occurred_at.isoformat()
                if state.events
                else None,
                "open_findings": sum(1 for f in findings if f.status == "open"),
                "degraded": None,
            }
        )
    return {"cases": cases}


def _degraded_entry(case: DegradedCase) -> dict[str, Any]:
    children = {child for event in case.events.values() for child in event.children}
    return {
        "case_id": case.case_id,
        "events": len(case.events),
        "children": sorted(children),
        "last_occurred_at": None,
        "open_findings": None,
        "degraded": case.to_json(),
    }


async def case_picture(
    case_id: str,
    projection: Projection,
    who: ReaderPrincipal,
    as_of: AsOf = None,
    recorded_by: RecordedBy = None,
) -> dict[str, Any]:
    """The joint picture: people, chronology, who knew what since when, legal
    status per agency, agreements, obligations and findings."""
    _, document = await _read(projection, case_id, as_of, recorded_by, picture)
    document["recorded_by"] = recorded_by.isoformat() if recorded_by else None
    return document


async def case_findings(
    case_id: str,
    projection: Projection,
    who: ReaderPrincipal,
    as_of: AsOf = None,
    recorded_by: RecordedBy = None,
) -> dict[str, Any]:
    at, findings = await _read(projection, case_id, as_of, recorded_by, evaluate)
    return {
        "case_id": case_id,
        "as_of": at.isoformat(),
        "findings": [f.to_json() for f in findings],
    }


async def all_findings(
    projection: Projection,
    who: ReaderPrincipal,
    status: Literal["open", "met_late", "resolved"] | None = None,
) -> dict[str, Any]:
    """Findings across every case, for duty managers; ``status=open`` for the live
    list. A duty manager sees those that concern their own agency. ``degraded_cases``
    names the cases whose findings could not be worked out."""
    now = projection.now()
    agency = who.scoped_agency
    book = await projection.readable()
    found = [
        f.to_json()
        for case_id in sorted(book.case_ids())
        for f in book.findings(case_id, now)
        if status is None or f.status == status
    ]
    if agency is not None:
        found = [f for f in found if concerns(f, agency)]
    found.sort(key=lambda f: (f["due_at"], f["finding_id"]))
    degraded = book.degraded()
    return {
        "as_of": now.isoformat(),
        "findings": found,
        "degraded_cases": [{"case_id": c, **degraded[c].to_json()} for c in sorted(degraded)],
    }


async def _read(
    projection: ProjectionService,
    case_id: str,
    as_of: datetime | None,
    recorded_by: datetime | None,
    view: Callable[[CaseState, datetime], T],
) -> tuple[datetime, T]:
    """``view`` of the case at ``as_of`` (default now); 404 if unknown, 503 if degraded."""
    book = await projection.readable(case_id)
    if case_id not in book:
        raise NotFound(f"no case {case_id!r}")
    at = as_of or projection.now()
    policy = book.policy

    def compute(state: CaseState) -> T:
        if as_of is not None or recorded_by is not None:
            state = fold(occurred_by(state.events, at, recorded_by), policy, case_id=case_id)
        return view(state, at)

    try:
        return at, book.read(case_id, compute)
    except CaseUnavailable as exc:
        raise CaseDegraded(
            f"case {case_id!r} is degraded: {exc.degraded.cause()}; other cases are unaffected"
        ) from None
