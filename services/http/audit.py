"""The read audit at the HTTP boundary: a dependency that records who read which
case before the answer leaves, and ``GET /audit`` for admins.

A route that discloses a case adds one line. Where the path names the case::

    router.add_api_route("/cases/{case_id}/picture", handler, dependencies=[AuditedRead])

or, where the case is known only after a lookup, a ``CaseReadsDep`` parameter and::

    await reads.record(case_id=event.case_id, event_id=event.event_id)

A router whose answers disclose cases it does not name in the path (lists of
cases, findings, alerts; an acknowledgement) is built with
``route_class=AuditedRoute``: its dependency (``AuditedRead``, or ``defer_read``)
only notes the read, and the route records it once the answer is built, with every
``case_id`` the answer carries, before it is sent. No answer leaves unrecorded.
"""

from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.routing import APIRoute

from infra.audit import AccessAudit, AuditUnavailable, ReadAccess
from infra.config import Settings
from services.http.auth import AdminPrincipal, Authenticated, Principal, ReaderPrincipal
from services.http.problems import ServiceUnavailable

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def audit_path(settings: Settings) -> Path:
    return settings.trust.audit_path or settings.data_dir / "audit.db"


@asynccontextmanager
async def open_access_audit(settings: Settings) -> AsyncIterator[AccessAudit | None]:
    """The configured audit, or None where ``trust.audit_reads`` is off."""
    if not settings.trust.audit_reads:
        yield None
        return
    from infra.sqlite.audit import SQLiteAccessAudit  # the adapter is chosen here only

    audit = SQLiteAccessAudit(audit_path(settings))
    await audit.start()
    try:
        yield audit
    finally:
        await audit.close()


def with_access_audit(settings: Settings, lifespan: Lifespan) -> Lifespan:
    """Wrap a service's lifespan so ``app.state.access_audit`` is open around it."""

    @asynccontextmanager
    async def wrapped(app: FastAPI) -> AsyncIterator[Any]:
        async with open_access_audit(settings) as audit:
            app.state.access_audit = audit
            async with lifespan(app) as state:
                yield state
            app.state.access_audit = None

    return wrapped


def get_access_audit(request: Request) -> AccessAudit | None:
    """None if reads are not audited (``trust.audit_reads = false``)."""
    audit: AccessAudit | None = getattr(request.app.state, "access_audit", None)
    return audit


class CaseReads:
    """One request's reads, bound to its principal and source address."""

    def __init__(self, audit: AccessAudit | None, principal: Principal, request: Request) -> None:
        self._audit, self._principal, self._request = audit, principal, request

    async def record(
        self, *, case_id: str | None, event_id: str | None = None, case_ids: Iterable[str] = ()
    ) -> None:
        """Durably record the read before its answer is sent; 503 if that fails."""
        if self._audit is None:
            return
        disclosed = sorted({*case_ids, *([] if case_id is None else [case_id])})
        if case_id is None and len(disclosed) == 1:
            case_id = disclosed[0]
        try:
            await self._audit.record(self._access(case_id, event_id, tuple(disclosed)))
        except AuditUnavailable as e:
            raise ServiceUnavailable("the access audit is unavailable; nothing was read") from e

    def _access(
        self, case_id: str | None, event_id: str | None, case_ids: tuple[str, ...]
    ) -> ReadAccess:
        route = self._request.scope.get("route")
        template = getattr(route, "path", self._request.url.path)
        client = self._request.client
        return ReadAccess(
            key_id=self._principal.key_id,
            name=self._principal.name,
            role=self._principal.role,
            agency=None if self._principal.agency is None else str(self._principal.agency),
            endpoint=f"{self._request.method} {template}",
            case_id=case_id,
            event_id=event_id,
            client=None if client is None else client.host,
            case_ids=case_ids,
        )


async def case_reads(request: Request, principal: Authenticated) -> CaseReads:
    return CaseReads(get_access_audit(request), principal, request)


CaseReadsDep = Annotated[CaseReads, Depends(case_reads)]


async def audit_read(request: Request, reads: CaseReadsDep, _: ReaderPrincipal) -> None:
    """For reader routes: after the role check, record the case named in the path
    (on an ``AuditedRoute``, once the answer is built, with the cases it names)."""
    case_id = request.path_params.get("case_id")
    await _record_or_defer(request, reads, None if case_id is None else str(case_id))


AuditedRead = Depends(audit_read)


async def defer_read(request: Request, principal: Principal) -> None:
    """For a route whose principal passed its own role check: audit this request."""
    case_id = request.path_params.get("case_id")
    reads = CaseReads(get_access_audit(request), principal, request)
    await _record_or_defer(request, reads, None if case_id is None else str(case_id))


_PENDING = "safeguard.audit.pending"


async def _record_or_defer(request: Request, reads: CaseReads, case_id: str | None) -> None:
    if isinstance(request.scope.get("route"), AuditedRoute):
        request.scope[_PENDING] = (reads, case_id)
    else:
        await reads.record(case_id=case_id)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class AuditedRoute(APIRoute):
    """Records the noted read after the endpoint, with every ``case_id`` in its JSON
    answer, before the answer is sent; 503 instead of the answer if that fails. A
    request refused or failed after its read was noted (404, 409, 422) is recorded
    as the attempt it was, with the case its path names."""

    def get_route_handler(self) -> Handler:
        endpoint = super().get_route_handler()

        async def audited(request: Request) -> Response:
            try:
                response = await endpoint(request)
            except Exception:
                await _flush(request, b"")
                raise
            await _flush(request, getattr(response, "body", b""))
            return response

        return audited


async def _flush(request: Request, body: bytes | memoryview) -> None:
    pending = request.scope.pop(_PENDING, None)
    if pending is not None:
        reads, case_id = pending
        await reads.record(case_id=case_id, case_ids=disclosed_case_ids(bytes(body)))


def disclosed_case_ids(body: bytes) -> set[str]:
    """Every ``case_id`` value anywhere in a JSON answer."""
    try:
        document = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return set()
    found: set[str] = set()
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("case_id"), str):
                found.add(node["case_id"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def audit_router() -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get("/audit", summary="Who read which case, when and from where (admins only)")
    async def read_audit(
        request: Request,
        admin: AdminPrincipal,
        reads: CaseReadsDep,
        case_id: Annotated[str | None, Query(max_length=64)] = None,
        after: Annotated[int, Query(ge=0, le=2**62, description="Only records after this seq")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        audit = get_access_audit(request)
        if audit is None:
            raise ServiceUnavailable("reads are not audited here (trust.audit_reads is off)")
        await reads.record(case_id=case_id)  # reading the audit is itself a read
        try:
            found = await audit.query(case_id=case_id, after=after, limit=limit)
        except AuditUnavailable as e:
            raise ServiceUnavailable("the access audit is unavailable") from e
        return {"entries": [r.to_json() for r in found]}

    return router
