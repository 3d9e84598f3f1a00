"""OpenAPI text for the ingest routes, kept out of the handlers."""

from typing import Any

POST_DESCRIPTION = """
Post **one envelope**, or `{"events": [...]}` — a batch of up to 1,000 stored
**atomically** (all or nothing). Validate first against `GET /schemas/{type}`.

* `201` — recorded: `{event_id, position, recorded_at}` (a list for a batch).
* `200` — an identical retry (same `event_id`, same content): the original record(s).
* `409` — an `event_id` reused with different content, or `expected_version` not met.
* `422` — invalid input, with `errors: [{loc, msg, type}]`; nothing is stored.
* `401` — no valid bearer key; `403` — another agency's key, or a type this agency
  may not post; `413` — body over the size limit.

**Historical import**: `?import=historical` records the events with
`metadata.import = "historical"`. Use it to load past events in bulk: they count in
the joint picture and the record, but the notifier never pages anyone for them.
Events that occurred within `ingest.historical_horizon` (default 72h), whose rule
deadlines may still be running, need a key with `can_import`: otherwise `403`.

**Optimistic concurrency**: `?expected_version=N` (all events in one case) appends
only if the case stream is at version `N` (0 for a new case).
"""

REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": 'An envelope, or a batch `{"events": [envelope, ...]}`.',
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"type": "object", "required": ["event_id", "case_id", "type"]},
                    {
                        "type": "object",
                        "required": ["events"],
                        "properties": {
                            "events": {"type": "array", "minItems": 1, "maxItems": 1000}
                        },
                    },
                ]
            }
        }
    },
}

_RECEIPT = {
    "type": "object",
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "position": {"type": "integer"},
        "recorded_at": {"type": "string", "format": "date-time"},
    },
}
_PROBLEM = {"application/problem+json": {"schema": {"type": "object"}}}

POST_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Recorded",
        "content": {
            "application/json": {
                "schema": {"oneOf": [_RECEIPT, {"type": "array", "items": _RECEIPT}]}
            }
        },
    },
    200: {"description": "Identical retry: the original record(s)"},
    401: {"description": "No valid bearer key", "content": _PROBLEM},
    403: {"description": "Wrong agency, or a type this agency may not post", "content": _PROBLEM},
    409: {
        "description": "Event id reused with other content, or version conflict",
        "content": _PROBLEM,
    },
    413: {"description": "Body too large", "content": _PROBLEM},
    422: {"description": "Invalid input; nothing stored", "content": _PROBLEM},
}

GET_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The event as recorded", "content": {"application/json": {}}},
    401: {"description": "No valid bearer key", "content": _PROBLEM},
    403: {"description": "Another agency's key", "content": _PROBLEM},
    404: {"description": "No such event in this service", "content": _PROBLEM},
}
