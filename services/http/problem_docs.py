"""The Problem Details responses every route may give, for the OpenAPI schema.

Declared once on each app so the schema tells the truth about errors (clients
and schemathesis alike see ``application/problem+json`` for every 4xx/5xx),
instead of FastAPI's default 422 body, which we never send.
"""

from typing import Any

from services.http.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}

_WHY = {
    401: "No valid bearer key",
    403: "The key's role or agency may not do this",
    404: "Not found",
    413: "Body over the size limit",
    422: "Invalid input; nothing stored",
    429: "Too many failed authentications from this address (see Retry-After)",
    500: "Unexpected error (no internals disclosed)",
    503: "Store, projection or audit unavailable (see Retry-After)",
}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": why, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
    for status, why in _WHY.items()
}
