"""Refused requests (401, 403): one structured log line and one audit record each.

A refusal discloses nothing, but a run of them is what an investigation looks
for (a key probing cases it may not see, a guessing client). Installed as the
exception handler for ``Unauthorized`` and ``Forbidden``, and called by the hot
path on its error branch only, so no accepted request pays for it. The log line
carries the key's non-secret id, never the key; an audit that cannot be written
is logged as an error and the refusal is still answered.
"""

import logging

from fastapi import FastAPI, Request
from starlette.responses import Response

from infra.audit import AuditUnavailable, ReadAccess
from services.http.audit import get_access_audit
from services.http.auth import KeyRing, Principal
from services.http.problems import Forbidden, Problem, Unauthorized, problem_for

log = logging.getLogger("safeguard.access")
DENIALS = (Unauthorized, Forbidden)


async def record_denial(request: Request, problem: Problem) -> None:
    access = _denied_access(request, problem.status)
    log.warning(
        "access denied",
        extra={
            "status": problem.status,
            "endpoint": access.endpoint,
            "case_id": access.case_id,
            "key_id": access.key_id or None,
            "role": access.role,
            "client": access.client,
        },
    )
    audit = get_access_audit(request)
    if audit is None:
        return
    try:
        await audit.record(access)
    except AuditUnavailable as e:
        log.error("the access audit could not record a denied request", extra={"error": str(e)})


async def _on_denied(request: Request, exc: Exception) -> Response:
    problem = problem_for(exc, request.url.path)
    await record_denial(request, problem)
    return problem.response(request.url.path)


def install_denial_audit(app: FastAPI) -> None:
    """More specific than the ``Problem`` handler, so it wins for these two."""
    for denial in DENIALS:
        app.add_exception_handler(denial, _on_denied)


def _denied_access(request: Request, status: int) -> ReadAccess:
    who = _presented(request)
    route = request.scope.get("route")
    case_id = request.scope.get("path_params", {}).get("case_id")
    client = request.client
    return ReadAccess(
        key_id="" if who is None else who.key_id,
        name=None if who is None else who.name,
        role="unknown" if who is None else who.role,
        agency=None if who is None or who.agency is None else str(who.agency),
        endpoint=f"{request.method} {getattr(route, 'path', request.url.path)}",
        case_id=None if case_id is None else str(case_id),
        event_id=None,
        client=None if client is None else client.host,
        case_ids=() if case_id is None else (str(case_id),),
        denied=status,
    )


def _presented(request: Request) -> Principal | None:
    """Whose key was refused (403), if it is a known one: hashed and looked up, as
    authentication does; an unknown key (401) stays anonymous."""
    keyring: KeyRing | None = getattr(request.app.state, "keyring", None)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if keyring is None or scheme.lower() != "bearer" or not token.strip():
        return None
    return keyring.identify(token.strip())
