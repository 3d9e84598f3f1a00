"""From a decoded request body to store ``Submission``s, or a Problem.

No I/O: the agency, the time and the limits are arguments. Checks run in the
order a caller would want to hear about them: a type the agency may not post
(403) before field errors (422), so nothing is stored in either case.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from events import CATALOG, Agency, EnvelopeBase, Submission, may_post, parse_submission
from events.envelope import canonical_all, parse_submission_json
from services.http.problems import FieldError, Forbidden, Unprocessable, field_error


class Terms(Protocol):
    """What a body is checked against, besides its own content
    (``services.ingest.intake.Intake``)."""

    @property
    def agency(self) -> Agency: ...
    @property
    def now(self) -> datetime: ...
    @property
    def max_skew(self) -> timedelta: ...
    @property
    def metadata(self) -> Mapping[str, Any]: ...


Built = tuple[list[Submission], bool]
"""The submissions, and whether the body was a batch."""


def build_submissions(body: Any, terms: Terms) -> Built:
    """A decoded body's submissions, or the Problem that says what is wrong."""
    _check_types(body, terms.agency)
    envelopes = _parse(body, terms.agency)
    batch = _is_batch(body)
    return _accepted(envelopes, terms, batch=batch), batch


def build_submissions_from_json(raw: bytes, terms: Terms) -> Built | None:
    """``build_submissions`` of a valid body, straight from its bytes; None if the
    body is not valid (decode it and call ``build_submissions`` for the errors).
    The same checks, in the same order: a body that validates has no field errors
    for a 403 to come before."""
    parsed = parse_submission_json(raw)
    if parsed is None:
        return None
    envelopes, batch = parsed
    for index, envelope in enumerate(envelopes):
        _check_type(envelope.type, index, terms.agency, batch=batch)
    return _accepted(envelopes, terms, batch=batch), batch


def _accepted(envelopes: list[EnvelopeBase], terms: Terms, *, batch: bool) -> list[Submission]:
    _check_occurred_at(envelopes, terms.now + terms.max_skew, batch=batch)
    shared = dict(terms.metadata)  # one copy for the request: its events share it, unchanged
    return [Submission(e, terms.agency, shared) for e in canonical_all(envelopes)]


def _is_batch(body: Any) -> bool:
    return isinstance(body, dict) and "events" in body


def _check_types(body: Any, agency: Agency) -> None:
    items = body.get("events") if _is_batch(body) else [body]
    for index, item in enumerate(items if isinstance(items, list) else []):
        kind = item.get("type") if isinstance(item, dict) else None
        if isinstance(kind, str):
            _check_type(kind, index, agency, batch=_is_batch(body))


def _check_type(kind: str, index: int, agency: Agency, *, batch: bool) -> None:
    if kind in CATALOG and not may_post(agency, kind):
        where = f"events[{index}]: " if batch else ""
        raise Forbidden(f"{where}the {agency} service may not post {kind!r} events")


def _parse(body: Any, agency: Agency) -> list[EnvelopeBase]:
    try:
        return parse_submission(body)
    except ValidationError as exc:
        errors = [_located(e, agency, batch=_is_batch(body)) for e in exc.errors()]
        raise Unprocessable(
            f"{len(errors)} invalid field(s); nothing was stored", errors=errors
        ) from None


def _located(error: Any, agency: Agency, *, batch: bool) -> FieldError:
    """Drop the union tag pydantic puts in ``loc`` and prefix ``body``."""
    loc = list(error["loc"])
    tag_at = 2 if batch else 0
    tag = loc[tag_at] if len(loc) > tag_at and loc[tag_at] in CATALOG else None
    if tag is not None:
        del loc[tag_at]
    found = field_error({**error, "loc": ["body", *loc]})
    if tag is not None and loc[tag_at:] == ["schema_version"]:
        found["msg"] = _version_message(CATALOG[tag].schema_version, tag)
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        found["loc"].append("type")
        found["msg"] = f"must be one of the types the {agency} service accepts: " + ", ".join(
            sorted(name for name in CATALOG if may_post(agency, name))
        )
    return found


def _version_message(version: int, type_name: str) -> str:
    said = "send 1 or leave it out" if version == 1 else f"send {version}"
    return f"must be {version}: {type_name!r} is a type of catalog v{version} ({said})"


def _check_occurred_at(envelopes: list[EnvelopeBase], latest: datetime, *, batch: bool) -> None:
    """Past facts no later than ``latest``: one comparison per event, and one per
    past-fact field of the few types that have any."""
    errors: list[FieldError] = []
    for index, envelope in enumerate(envelopes):
        if envelope.occurred_at > latest:
            where = _at(index, batch, "occurred_at")
            errors.append(_future(where, latest, "occurred_at_in_future"))
        for name in envelope.data.past_facts:
            value = getattr(envelope.data, name)
            if value is not None and value > latest:
                errors.append(_future(_at(index, batch, "data", name), latest, "time_in_future"))
    if errors:
        raise Unprocessable(f"{len(errors)} invalid field(s); nothing was stored", errors=errors)


def _at(index: int, batch: bool, *field: str) -> list[str | int]:
    """A field's location in the body, built only for an error."""
    return ["events", index, *field] if batch else [*field]


def _future(loc: list[str | int], latest: datetime, kind: str) -> FieldError:
    return {
        "loc": ["body", *loc],
        "msg": f"is in the future beyond the allowed clock skew (after {latest.isoformat()})",
        "type": kind,
    }
