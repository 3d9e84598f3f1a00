"""Reading the joint picture: cases, pictures and findings, live or as of any moment.

``as_of`` counts events that occurred by that time and evaluates deadlines then;
``recorded_by`` also leaves out what the system had not yet been told.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime

from services.http.audit import AuditedRead, AuditedRoute
from services.http.auth import ReaderPrincipal
from services.http.problems import NotFound, Problem, Unprocessable
from services.http.runtime import started
from services.projection.casebook import CaseUnavailable
from services.projection.domain.evaluate import evaluate
from services.projection.domain.picture import picture
from services.projection.domain.state import CaseState
from services.projection.links_api import linked
from services.projection.readmodel import PAGE_LIMIT_MAX, OpenFilter, decode_cursor
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


Limit = Annotated[int, Query(ge=1, le=PAGE_LIMIT_MAX, description="Rows per page.")]
After = Annotated[
    str | None,
    Query(
        description="The ``next`` cursor of the previous page; omit for the first.",
        pattern=r"^[A-Za-z0-9_=-]+$",
        max_length=2048,
    ),
]


def _cursor(after: str | None, size: int) -> str | None:
    """``after`` checked before any query: a bad cursor is a field-level 422."""
    if after is not None:
        try:
            decode_cursor(after, size)
        except ValueError:
            raise Unprocessable(
                "not a cursor this service gave",
                errors=[{"loc": ["query", "after"], "msg": "not a cursor", "type": "value_error"}],
            ) from None
    return after


async def list_cases(
    projection: Projection, who: ReaderPrincipal, limit: Limit = 100, after: After = None
) -> dict[str, Any]:
    """Cases by id with their open findings count, a page at a time (``next``
    is the cursor of the following page, None on the last); a degraded case
    (one its fold or evaluation could not take) says why in ``degraded``."""
    page = await projection.cases_page(
        limit=limit, after=_cursor(after, 1), agency=None, wanted=OpenFilter()
    )
    return {"cases": page.rows, "next": page.next}


async def case_picture(
    case_id: str,
    projection: Projection,
    who: ReaderPrincipal,
    as_of: AsOf = None,
    recorded_by: RecordedBy = None,
) -> dict[str, Any]:
    """The joint picture: people, chronology, who knew what since when, legal
    status per agency, agreements, obligations and findings."""
    _, document = await _read(projection, case_id, as_of, recorded_by, linked(picture))
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
    limit: Limit = 100,
    after: After = None,
) -> dict[str, Any]:
    """Findings across every case, earliest due first, a page at a time, for duty
    managers; ``status=open`` for the live list. A duty manager sees those that
    concern their own agency. ``degraded_cases`` names the cases whose findings
    could not be worked out."""
    page, degraded = await projection.findings_page(
        limit=limit, after=_cursor(after, 2), agency=who.scoped_agency, status=status
    )
    return {
        "as_of": projection.now().isoformat(),
        "findings": page.rows,
        "next": page.next,
        "degraded_cases": degraded,
    }


async def _read(
    projection: ProjectionService,
    case_id: str,
    as_of: datetime | None,
    recorded_by: datetime | None,
    view: Callable[[CaseState, datetime], T],
) -> tuple[datetime, T]:
    """``view`` of the (joint) case at ``as_of`` (default now); 404 if unknown, 503 if degraded."""
    asked, case_id = case_id, projection.links.joint_id(case_id)
    at = as_of or projection.now()

    def compute(state: CaseState) -> T:
        if as_of is not None or recorded_by is not None:
            state = projection.links.state_as_of(asked, at, recorded_by)
        return view(state, at)

    try:
        return at, await projection.read(case_id, compute)
    except KeyError:
        raise NotFound(f"no case {case_id!r}") from None
    except CaseUnavailable as exc:
        raise CaseDegraded(
            f"case {case_id!r} is degraded: {exc.degraded.cause()}; other cases are unaffected"
        ) from None
