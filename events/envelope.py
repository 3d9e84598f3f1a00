"""The envelope an agency system posts, validated as one discriminated union.

Each catalog type gets its own envelope model whose ``type`` is a literal, so a
payload error is reported at the exact field (``data.child``) of the exact type.
"""

from collections.abc import Sequence
from functools import partial
from operator import is_
from typing import Annotated, Any, Literal, Union
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    create_model,
)

from events.catalog import CATALOG, EventType
from events.identifiers import AgencyCaseRef, Subjects
from events.payloads import Payload
from events.types import CaseId, Ref, Refs, Timestamp

MAX_BATCH = 1_000


UNIT = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
Unit = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=UNIT)]
"""A unit within an agency: a lower-case slug, one spelling per unit (``hospital-ed``,
not ``Hospital ED``), so two events of one unit are never taken for two units."""


class Actor(BaseModel):
    """The professional who recorded the event."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    ref: Ref | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    unit: Unit | None = Field(default=None, exclude_if=partial(is_, None))
    """The part of the agency the professional works in (``hospital-ed``, ``gp``), so
    that "who knew" can tell one part of an agency from another. Left out of the
    canonical form when not sent: an event without it keeps the bytes, and so the
    digest, it had before units existed (a C-level check, no Python per event)."""


class EnvelopeBase(BaseModel):
    """Fields every event carries. ``agency``, ``recorded_at``, ``position`` and
    ``stream_version`` are set by the server and rejected if sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    event_id: UUID
    case_id: CaseId
    type: str
    occurred_at: Timestamp
    children: Refs = Field(default_factory=list)
    actor: Actor
    data: Payload
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    subjects: Subjects | None = Field(default=None, exclude_if=partial(is_, None))
    """Who the event is about, by the identifiers the agency holds (NHS number,
    local ids, name and date of birth): what Safeguard links cases by. Left out of
    the canonical form when not sent, as ``actor.unit`` is, so events without it
    keep their bytes and digests."""
    agency_case_ref: AgencyCaseRef | None = Field(default=None, exclude_if=partial(is_, None))
    """The sending agency's own reference for the case; left out when not sent."""
    schema_version: Literal[1] = 1
    """The catalog version of the type (``events.catalog.EventType.schema_version``):
    1 for a v1 type, said or not; a later version's envelopes require theirs."""


def _envelope_for(entry: EventType) -> type[EnvelopeBase]:
    type_literal: Any = Literal[entry.name]  # built at run time from the catalog
    model: type[EnvelopeBase] = create_model(
        "Envelope_" + entry.name.replace(".", "_"),
        __base__=EnvelopeBase,
        __doc__=entry.description,
        type=(type_literal, ...),
        data=(entry.payload, ...),
        **_version_field(entry),
    )
    return model


def _version_field(entry: EventType) -> dict[str, Any]:
    """A later version's types require it said: ``schema_version: 2`` on a type of
    v2, so a sender cannot post a v2 type believing it to be v1. A v1 type keeps
    the base's ``Literal[1] = 1``."""
    if entry.schema_version == 1:
        return {}
    version: Any = Literal[entry.schema_version]  # built at run time from the catalog
    return {"schema_version": (version, ...)}


ENVELOPES: dict[str, type[EnvelopeBase]] = {
    name: _envelope_for(entry) for name, entry in CATALOG.items()
}

_AnyEnvelope: Any = Annotated[
    Union[tuple(ENVELOPES.values())],  # noqa: UP007  (a union built from the catalog)
    Field(discriminator="type"),
]
_ENVELOPE: TypeAdapter[EnvelopeBase] = TypeAdapter(_AnyEnvelope)
_ENVELOPE_LIST: TypeAdapter[list[EnvelopeBase]] = TypeAdapter(list[_AnyEnvelope])


class Batch(BaseModel):
    """Up to 1,000 events stored atomically: all or none."""

    model_config = ConfigDict(extra="forbid")
    events: list[_AnyEnvelope] = Field(min_length=1, max_length=MAX_BATCH)


def parse_envelope(obj: Any) -> EnvelopeBase:
    """Validate one decoded JSON object; raises pydantic ``ValidationError``."""
    return _ENVELOPE.validate_python(obj)


def parse_submission(obj: Any) -> list[EnvelopeBase]:
    """A single envelope or ``{"events": [...]}``; raises ``ValidationError``."""
    if isinstance(obj, dict) and "events" in obj:
        return list(Batch.model_validate(obj).events)
    return [parse_envelope(obj)]


BATCH_FIRST_BYTES = 4_096
"""``parse_submission_json`` tries a body this large as a batch first."""


def parse_submission_json(raw: bytes) -> tuple[list[EnvelopeBase], bool] | None:
    """``parse_submission`` straight from the request's bytes, by pydantic's own JSON
    parser (no Python objects are built for the input): the envelopes and whether
    the body was a batch; or None when it is not a valid body. The caller then
    decodes it the slow way, for the errors: this is the happy path only."""
    batch_first = len(raw) >= BATCH_FIRST_BYTES
    for as_batch in (batch_first, not batch_first):
        try:
            if as_batch:
                return list(Batch.model_validate_json(raw).events), True
            return [_ENVELOPE.validate_json(raw)], False
        except ValidationError:
            continue
    return None


def canonical(envelope: EnvelopeBase) -> dict[str, Any]:
    """The JSON form we store and compare for idempotent retries."""
    return envelope.model_dump(mode="json")


def canonical_all(envelopes: Sequence[EnvelopeBase]) -> list[dict[str, Any]]:
    """``canonical`` of each envelope, in one call to the serializer (a batch of
    500 costs one call, not 500)."""
    dumped: list[dict[str, Any]] = _ENVELOPE_LIST.dump_python(list(envelopes), mode="json")
    return dumped
