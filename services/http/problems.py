"""RFC 9457 Problem Details: the one place errors become HTTP responses.

Handlers raise a ``Problem`` (or let a ``StoreError`` escape); the handlers
installed here render it as ``application/problem+json``. Bodies never carry a
stack trace, an exception's repr or a file path: unexpected errors are logged
server-side and answered with a generic 500.
"""

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, TypedDict

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic_core import PydanticKnownError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from events.types import SELF_WORDED_ERRORS
from infra.store.port import ConcurrencyError, IdempotencyConflict, StoreError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:safeguard:problem:"
log = logging.getLogger("safeguard.http")


class FieldError(TypedDict):
    loc: list[str | int]
    msg: str
    type: str


class Problem(Exception):
    """An error with HTTP meaning. Subclasses fix the status, title and type."""

    status = 500
    title = "Internal Server Error"
    slug = "internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole (a validation worker raises these): ``Exception`` would
        keep only ``args``, and subclasses take other ``__init__`` arguments."""
        return (_restore, (type(self), self.detail, self.errors, self.headers))

    def body(self, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_PREFIX + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
            "instance": instance,
        }
        if self.errors:
            body["errors"] = self.errors
        return body

    def response(self, instance: str) -> Response:
        return Response(
            orjson.dumps(self.body(instance)),
            status_code=self.status,
            media_type=PROBLEM_JSON,
            headers=self.headers,
        )


def _restore(
    cls: type[Problem], detail: str | None, errors: list[FieldError], headers: dict[str, str]
) -> Problem:
    problem = Exception.__new__(cls)
    Problem.__init__(problem, detail, errors=errors, headers=headers)
    return problem


class Unauthorized(Problem):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str = "a valid bearer key is required") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="safeguard"'})


class Forbidden(Problem):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(Problem):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(Problem):
    status, title, slug = 409, "Conflict", "conflict"


class PayloadTooLarge(Problem):
    status, title, slug = 413, "Content Too Large", "payload-too-large"


class Unprocessable(Problem):
    status, title, slug = 422, "Unprocessable Content", "validation"


class ServiceUnavailable(Problem):
    status, title, slug = 503, "Service Unavailable", "unavailable"


class _HTTPStatusProblem(Problem):
    """Framework errors (404 route, 405 method) in the same shape."""

    def __init__(self, status: int, detail: str | None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = HTTPStatus(status).phrase
        self.slug = self.title.lower().replace(" ", "-")


def _instance(request: Request) -> str:
    return request.url.path


async def _on_exception(request: Request, exc: Exception) -> Response:
    return problem_for(exc, _instance(request)).response(_instance(request))


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [field_error(e) for e in exc.errors()]
    problem = Unprocessable("the request is invalid; nothing was stored", errors=errors)
    return problem.response(_instance(request))


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code < 500 else None
    problem = _HTTPStatusProblem(exc.status_code, detail)
    problem.headers = dict(exc.headers or {})
    return problem.response(_instance(request))


def problem_for(exc: Exception, path: str) -> Problem:
    """What a caller is told of an exception a handler raised: a ``Problem`` as
    raised, a store error by its meaning, anything else a generic 500 (logged
    here with its traceback, never sent)."""
    if isinstance(exc, Problem):
        return exc
    problem: Problem
    if isinstance(exc, IdempotencyConflict):
        problem = Conflict(str(exc))
        problem.slug = "event-id-reused"
    elif isinstance(exc, ConcurrencyError):
        problem = Conflict(str(exc))
        problem.slug = "expected-version"
    elif isinstance(exc, StoreError):
        log.error("store unavailable", extra={"error": type(exc).__name__})
        problem = ServiceUnavailable("the event store is unavailable; nothing was stored")
        problem.headers = {"Retry-After": "1"}
    else:
        log.exception("unhandled error", extra={"path": path}, exc_info=exc)
        problem = Problem("an unexpected error occurred")
    return problem


def field_error(error: Mapping[str, Any]) -> FieldError:
    """A pydantic/FastAPI error reduced to what a caller may see: its location,
    type and a message that repeats nothing the caller sent (no ``input``, no
    ``ctx``, no message built from them, no name of an unexpected field)."""
    loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
    kind = str(error.get("type", ""))
    if kind == "extra_forbidden" and len(loc) > 1:
        return {"loc": loc[:-1], "msg": UNKNOWN_FIELD, "type": kind}
    return {"loc": loc, "msg": _message(error, kind), "type": kind}


UNKNOWN_FIELD = "a field this object does not have (its name is not repeated here)"
SCHEMA_CONTEXT = frozenset(
    [
        "expected",
        "expected_tags",
        "discriminator",
        "pattern",
        "max_length",
        "min_length",
        "gt",
        "ge",
        "lt",
        "le",
        "multiple_of",
        "max_digits",
        "decimal_places",
        "whole_digits",
        "class_name",
        "field_type",
        "actual_length",
    ]
)
"""Context pydantic fills from the schema alone (limits, choices), safe to show;
other keys (``error``, ``tag``, ``reason``...) may quote the input."""


def _message(error: Mapping[str, Any], kind: str) -> str:
    msg = str(error.get("msg", ""))
    context = error.get("ctx") or {}
    if set(context) <= SCHEMA_CONTEXT or kind in SELF_WORDED_ERRORS:
        return msg
    value = error.get("input")
    if kind in ("value_error", "assertion_error") and not _quotes(msg, value):
        return msg  # a validator's own sentence, e.g. "items must be unique"
    return _template_without_input(kind, context)


def _quotes(msg: str, value: Any) -> bool:
    return isinstance(value, str | int | float) and len(str(value)) >= 3 and str(value) in msg


def _template_without_input(kind: str, context: Mapping[str, Any]) -> str:
    """Pydantic's message for ``kind`` with its input-derived placeholders left
    out: "Input should be a valid UUID, {error}" becomes "Input should be a valid
    UUID"."""
    try:
        template = PydanticKnownError(kind, dict(context)).message_template  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return "invalid value"
    kept = re.sub(
        r"[,:]?\s*'?\{(\w+)\}'?",
        lambda m: m.group(0) if m.group(1) in SCHEMA_CONTEXT else "",
        template,
    )
    safe = {k: v for k, v in context.items() if k in SCHEMA_CONTEXT}
    return kept.format(**safe).strip() or "invalid value"


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_exception)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(StoreError, _on_exception)
    app.add_exception_handler(Exception, _on_exception)
