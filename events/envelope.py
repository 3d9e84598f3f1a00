"""The envelope an agency system posts, validated as one discriminated union.

Each catalog type gets its own envelope model whose ``type`` is a literal, so a
payload error is reported at the exact field (``data.child``) of the exact type.
"""

from collections.abc import Sequence
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
from events.payloads import Payload
from events.types import CaseId, Ref, Refs, Timestamp

MAX_BATCH = 1_000


class Actor(BaseModel):
    """The professional who recorded the event."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    ref: Ref | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


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
    schema_version: Literal[1] = 1


def _envelope_for(entry: EventType) -> type[EnvelopeBase]:
    type_literal: Any = Literal[entry.name]  # built at run time from the catalog
    model: type[EnvelopeBase] = create_model(
        "Envelope_" + entry.name.replace(".", "_"),
        __base__=EnvelopeBase,
        __doc__=entry.description,
        type=(type_literal, ...),
        data=(entry.payload, ...),
    )
    return model


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
