"""Reading the joint picture: cases, pictures and findings, live or as of any moment.

``as_of`` counts events that occurred by that time and evaluates deadlines then;
``recorded_by`` also leaves out what the system had not yet been told.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from services.http.audit import AuditedRead, AuditedRoute
from services.http.auth import ReaderPrincipal
from services.http.problems import NotFound
from services.http.runtime import started
from services.projection.domain.evaluate import evaluate
from services.projection.domain.findings import concerns
from services.projection.domain.picture import picture
from services.projection.service import ProjectionService

AsOf = Annotated[
    AwareDatetime | None,
    Query(description="Evaluate as of this moment (RFC 3339 with offset). Default: now."),
]
RecordedBy = Annotated[
    AwareDatetime | None,
    Query(description="Leave out events recorded after this moment."),
]


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
    """Every case the projection knows, with its open findings count."""
    now = projection.now()
    cases = []
    for case_id in sorted(projection.cases.case_ids()):
        state = projection.cases.state(case_id)
        assert state is not None
        findings = projection.cases.findings(case_id, now)
        cases.append(
            {
                "case_id": case_id,
                "events": len(state.events),
                "children": sorted(state.children),
                "last_occurred_at": state.events[-1].occurred_at.isoformat()
                if state.events
                else None,
                "open_findings": sum(1 for f in findings if f.status == "open"),
            }
        )
    return {"cases": cases}


async def case_picture(
    case_id: str,
    projection: Projection,
    who: ReaderPrincipal,
    as_of: AsOf = None,
    recorded_by: RecordedBy = None,
) -> dict[str, Any]:
    """The joint picture: people, chronology, who knew what since when, legal
    status per agency, agreements, obligations and findings."""
    at, state = _state(projection, case_id, as_of, recorded_by)
    document = picture(state, at)
    document["recorded_by"] = recorded_by.isoformat() if recorded_by else None
    return document


async def case_findings(
    case_id: str,
    projection: Projection,
    who: ReaderPrincipal,
    as_of: AsOf = None,
    recorded_by: RecordedBy = None,
) -> dict[str, Any]:
    at, state = _state(projection, case_id, as_of, recorded_by)
    return {
        "case_id": case_id,
        "as_of": at.isoformat(),
        "findings": [f.to_json() for f in evaluate(state, at)],
    }


async def all_findings(
    projection: Projection,
    who: ReaderPrincipal,
    status: Literal["open", "met_late", "resolved"] | None = None,
) -> dict[str, Any]:
    """Findings across every case, for duty managers; ``status=open`` for the live list.
    A duty manager sees those that concern their own agency."""
    now = projection.now()
    agency = who.scoped_agency
    found = [
        f.to_json()
        for case_id in sorted(projection.cases.case_ids())
        for f in projection.cases.findings(case_id, now)
        if status is None or f.status == status
    ]
    if agency is not None:
        found = [f for f in found if concerns(f, agency)]
    found.sort(key=lambda f: (f["due_at"], f["finding_id"]))
    return {"as_of": now.isoformat(), "findings": found}


def _state(
    projection: ProjectionService,
    case_id: str,
    as_of: datetime | None,
    recorded_by: datetime | None,
) -> tuple[datetime, Any]:
    if case_id not in projection.cases:
        raise NotFound(f"no case {case_id!r}")
    at = as_of or projection.now()
    if as_of is None and recorded_by is None:
        return at, projection.cases.state(case_id)
    state = projection.cases.as_of(case_id, at, recorded_by)
    return at, state
