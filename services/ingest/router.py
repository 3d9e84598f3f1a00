"""``POST /{agency}/events`` and ``GET /{agency}/events/{event_id}``.

The body is read raw and decoded with orjson rather than declared as a FastAPI
body model: it lets the size and depth limits act before validation, gives
field errors without the union tag noise, and keeps the hot path lean.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from events import Agency, RecordedEvent, Submission
from events.records import iso_timestamp
from infra.config.ingest import IngestSettings
from infra.store.port import AppendResult
from services.http.audit import CaseReadsDep
from services.http.auth import (
    BEARER_SECURITY,
    READER_ROLES,
    Authenticated,
    Principal,
    agency_principal,
)
from services.http.hotpath import Endpoint, serve_hot
from services.http.problems import Forbidden, NotFound, Unprocessable, field_error
from services.http.runtime import RuntimeDep, get_runtime, started
from services.ingest.docs import (
    GET_RESPONSES,
    POST_DESCRIPTION,
    POST_RESPONSES,
    REQUEST_BODY,
)
from services.ingest.intake import Intake
from services.ingest.references import flag_unresolved
from services.ingest.validation import Validators

log = logging.getLogger("safeguard.ingest")


class IngestQuery(BaseModel):
    """``POST /{agency}/events``'s query string: validated by the endpoint itself,
    and the one source of its OpenAPI parameters (``QUERY_PARAMETERS``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    historical: Literal["historical"] | None = Field(
        None,
        alias="import",
        description="`historical`: a bulk import of past events; recorded, never paged.",
    )
    expected_version: int | None = Field(
        None, ge=0, description="The case's stream version you last saw (0: a new case)."
    )


NO_QUERY = IngestQuery()
QUERY_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": field.pop("description"),
        "schema": field,
    }
    for name, field in IngestQuery.model_json_schema()["properties"].items()
]
"""``IngestQuery`` as OpenAPI parameters, as FastAPI writes a ``Query`` parameter."""


def include_ingest(app: FastAPI, agency: Agency) -> None:
    """``agency``'s routes on ``app``; its POST is also a hot route
    (``services.http.hotpath``): one endpoint, served ahead of FastAPI's routing."""
    post_events = post_events_endpoint(agency)
    app.include_router(ingest_router(agency, post_events))
    serve_hot(app, "POST", f"/{agency}/events", post_events)


def post_events_endpoint(agency: Agency) -> Endpoint:
    """``POST /{agency}/events``: takes the ``Request`` and builds its ``Response``
    itself (no FastAPI parameters or dependencies), so it can be served hot."""

    async def post_events(request: Request) -> Response:
        principal = agency_principal(request, agency)
        query = _query(request)
        runtime = await get_runtime(request)
        validators: Validators = started(request, "validators", "service")
        limits = runtime.settings.limits
        raw = await request.body()
        intake = Intake(
            agency=agency,
            now=runtime.clock.now(),
            max_skew=timedelta(seconds=limits.max_clock_skew_seconds),
            max_depth=limits.max_json_depth,
            max_batch=limits.max_batch,
            metadata={"import": query.historical} if query.historical else {},
        )
        submissions, batch = await validators.submissions(intake, raw)
        if query.historical and not principal.can_import:
            _refuse_recent_history(submissions, intake.now, runtime.settings.ingest)
        submissions = await flag_unresolved(submissions, runtime.store)
        expected = _expected_versions(submissions, query.expected_version)
        result = await runtime.store.append(submissions, expected_versions=expected)
        _log_recorded(agency, principal, result)
        return _append_response(result, batch=batch)

    return post_events


def ingest_router(agency: Agency, post_events: Endpoint) -> APIRouter:
    router = APIRouter(prefix=f"/{agency}", tags=[str(agency)])
    router.add_api_route(
        "/events",
        post_events,
        methods=["POST"],
        status_code=201,
        summary=f"Record {agency} events",
        description=POST_DESCRIPTION,
        responses=POST_RESPONSES,
        openapi_extra={
            "requestBody": REQUEST_BODY,
            "parameters": QUERY_PARAMETERS,
            "security": BEARER_SECURITY,
        },
        response_class=Response,
    )

    @router.get(
        "/events/{event_id}",
        summary=f"Read one {agency} event as recorded",
        responses=GET_RESPONSES,
        response_class=Response,
    )
    async def get_event(
        event_id: UUID, principal: Authenticated, runtime: RuntimeDep, reads: CaseReadsDep
    ) -> Response:
        if principal.role == "agency" and principal.agency != agency:
            raise Forbidden(f"a {principal.agency} key may not read the {agency} service")
        if principal.role not in ("agency", *READER_ROLES):
            raise Forbidden("reading events needs an agency, reviewer, duty manager or admin key")
        event = await runtime.store.get(str(event_id))
        if event is None or event.agency != agency:
            raise NotFound(f"no {agency} event {event_id}")
        await reads.record(case_id=event.case_id, event_id=event.event_id)
        return _json(event.to_json(), 200)

    return router


def _query(request: Request) -> IngestQuery:
    """The query string, checked as FastAPI would: a 422 naming each bad parameter."""
    if not request.scope.get("query_string"):
        return NO_QUERY
    try:
        return IngestQuery.model_validate(dict(request.query_params))
    except ValidationError as exc:
        errors = [field_error({**e, "loc": ["query", *e["loc"]]}) for e in exc.errors()]
        raise Unprocessable(
            "the query string is invalid; nothing was stored", errors=errors
        ) from None


def _refuse_recent_history(
    submissions: Sequence[Submission], now: datetime, ingest: IngestSettings
) -> None:
    """A historical finding pages nobody, so only a ``can_import`` key may mark as
    history an event whose rule deadlines could still be running: one that
    occurred within ``ingest.historical_horizon`` (docs/ingest.md)."""
    since = now - ingest.historical_horizon_delta
    recent = [s.event_id for s in submissions if _occurred_at(s) > since]
    if recent:
        shown = ", ".join(recent[:10]) + (
            f" and {len(recent) - 10} more" if len(recent) > 10 else ""
        )
        raise Forbidden(
            f"?import=historical needs a key with can_import for events that occurred"
            f" within ingest.historical_horizon ({ingest.historical_horizon}), whose"
            f" deadlines may still be running; nothing was stored. Recent: {shown}"
        )


def _occurred_at(submission: Submission) -> datetime:
    return datetime.fromisoformat(str(submission.envelope["occurred_at"]))


def _expected_versions(submissions: list[Submission], expected: int | None) -> dict[str, int]:
    if expected is None:
        return {}
    cases = {s.case_id for s in submissions}
    if len(cases) != 1:
        raise Unprocessable(
            "expected_version needs every event in the request to belong to one case",
            errors=[
                {"loc": ["query", "expected_version"], "msg": "events span cases", "type": "value"}
            ],
        )
    return {cases.pop(): expected}


def _append_response(result: AppendResult, *, batch: bool) -> Response:
    """201 with receipts if anything was new; 200 with the originals on a pure retry."""
    if result.none_created:
        records = [e.to_json() for e in result.events]
        return _json(records if batch else records[0], 200)
    receipts = _receipts(result.events)
    if batch:
        return _json(receipts, 201)
    location = f"/{result.events[0].agency}/events/{result.events[0].event_id}"
    return _json(receipts[0], 201, headers={"Location": location})


def _receipts(events: Sequence[RecordedEvent]) -> list[dict[str, Any]]:
    """One receipt per event; a batch shares one or two ``recorded_at``, so each
    is formatted once."""
    stamps = {at: iso_timestamp(at) for at in {e.recorded_at for e in events}}
    return [
        {"event_id": e.event_id, "position": e.position, "recorded_at": stamps[e.recorded_at]}
        for e in events
    ]


def _json(content: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status, headers, media_type="application/json")


def _log_recorded(agency: Agency, principal: Principal, result: AppendResult) -> None:
    """One line per request; for a batch, ``event_id`` lists every id."""
    events = result.events
    ids = [e.event_id for e in events]
    correlations = sorted({e.correlation_id for e in events if e.correlation_id})
    log.info(
        "events recorded: %d (%d new) by key %s",
        len(events),
        sum(result.created),
        principal.key_id,
        extra={
            "agency": str(agency),
            "event_id": ids[0] if len(ids) == 1 else ids,
            "correlation_id": correlations[0] if len(correlations) == 1 else correlations or None,
        },
    )
