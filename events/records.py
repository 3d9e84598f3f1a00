"""What goes into the store (``Submission``) and what comes out (``RecordedEvent``).

``RecordedEvent`` is a plain slotted dataclass rather than a pydantic model: the
projection folds millions of them on a rebuild, and they were validated once, at
ingest.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from sys import intern
from types import MappingProxyType
from typing import Any

import orjson

from events.sharing import Sharing


def canonical_bytes(obj: Mapping[str, Any]) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True, slots=True)
class Submission:
    """A validated envelope (its canonical JSON form) on its way into the store."""

    envelope: Mapping[str, Any]
    agency: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Server-side facts about the submission, e.g. ``{"import": true}`` for a
    bulk import of historical events that must page nobody."""
    known_digest: str | None = field(default=None, compare=False, repr=False)
    """``digest()`` as computed already, where the envelope was validated (a
    validation worker): the service process need not compute it again."""

    @property
    def event_id(self) -> str:
        return str(self.envelope["event_id"])

    @property
    def case_id(self) -> str:
        return str(self.envelope["case_id"])

    def digest(self) -> str:
        """What must match for a retry to count as identical: content and agency."""
        if self.known_digest is not None:
            return self.known_digest
        body = canonical_bytes({"envelope": self.envelope, "agency": self.agency})
        return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    event_id: str
    case_id: str
    type: str
    occurred_at: datetime
    children: tuple[str, ...]
    actor: Mapping[str, Any]
    data: Mapping[str, Any]
    agency: str
    recorded_at: datetime
    position: int
    """Global, gapless order of recording, from 1."""
    stream_version: int
    """Order within the case, from 1."""
    correlation_id: str | None = None
    causation_id: str | None = None
    schema_version: int = 1
    metadata: Mapping[str, Any] = field(default_factory=dict)
    subjects: tuple[Mapping[str, Any], ...] = ()
    """Who the event is about and by which identifiers (``events.identifiers``)."""
    agency_case_ref: str | None = None

    @classmethod
    def from_submission(
        cls, sub: Submission, *, position: int, stream_version: int, recorded_at: datetime
    ) -> "RecordedEvent":
        """Set slot by slot (``_assemble``), as ``from_json`` is: ingest builds one
        per event, on the one thread that serves every request."""
        env = sub.envelope
        return _assemble(
            str(env["event_id"]),
            str(env["case_id"]),
            str(env["type"]),
            datetime.fromisoformat(str(env["occurred_at"])),
            tuple(env.get("children") or ()),
            env["actor"],
            env["data"],
            sub.agency,
            recorded_at,
            position,
            stream_version,
            env.get("correlation_id"),
            env.get("causation_id"),
            int(env.get("schema_version", 1)),
            sub.metadata,
            tuple(env.get("subjects") or ()),
            env.get("agency_case_ref"),
        )

    def envelope(self) -> dict[str, Any]:
        """The sender's envelope, as canonically stored (identity fields only when sent)."""
        envelope: dict[str, Any] = {
            "event_id": self.event_id,
            "case_id": self.case_id,
            "type": self.type,
            "occurred_at": iso_timestamp(self.occurred_at),
            "children": list(self.children),
            "actor": dict(self.actor),
            "data": dict(self.data),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "schema_version": self.schema_version,
        }
        if self.subjects:
            envelope["subjects"] = [dict(subject) for subject in self.subjects]
        if self.agency_case_ref is not None:
            envelope["agency_case_ref"] = self.agency_case_ref
        return envelope

    def to_json(self) -> dict[str, Any]:
        """The full record as served by the API and carried on Kafka."""
        return {
            **self.envelope(),
            "agency": self.agency,
            "recorded_at": iso_timestamp(self.recorded_at),
            "position": self.position,
            "stream_version": self.stream_version,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "RecordedEvent":
        """The record ``to_json`` gave, built without the frozen ``__init__``.

        A rebuild decodes millions of these, and the generated ``__init__`` of a
        frozen dataclass sets each field through ``object.__setattr__``: a third of
        the decode. The slots are set directly instead (``_assemble``, which takes
        every field, in order, so a field added without a value here fails loudly).
        Case, type and
        agency are interned: millions of records share a few thousand of them, and
        the fold hashes and compares them on every event. For memory (a rebuild
        keeps every record) equal actors share one mapping, records without
        metadata share one empty mapping, and records written in one
        transaction (one ``recorded_at``) share one datetime.
        """
        return _assemble(
            obj["event_id"],
            intern(obj["case_id"]),
            intern(obj["type"]),
            datetime.fromisoformat(obj["occurred_at"]),
            tuple(obj.get("children") or ()),
            _shared_actor(obj["actor"]),
            obj["data"],
            intern(obj["agency"]),
            _recorded_at(obj["recorded_at"]),
            obj["position"],
            obj["stream_version"],
            obj.get("correlation_id"),
            obj.get("causation_id"),
            obj.get("schema_version", 1),
            obj.get("metadata") or NO_METADATA,
            tuple(obj.get("subjects") or ()),
            obj.get("agency_case_ref"),
        )


def _assembler() -> Callable[..., RecordedEvent]:
    """``RecordedEvent(*values)`` without the frozen ``__init__``, which sets each
    field through ``object.__setattr__``: each slot is set by its descriptor, one
    line a field, no loop. Generated from the fields, as dataclasses generate
    ``__init__``, so it cannot fall out of step with them."""
    names = [f.name for f in fields(RecordedEvent)]
    source = (
        f"def assemble({', '.join(names)}):\n"
        "    record = new(RecordedEvent)\n"
        + "".join(f"    set_{name}(record, {name})\n" for name in names)
        + "    return record\n"
    )
    namespace: dict[str, Any] = {"new": object.__new__, "RecordedEvent": RecordedEvent}
    namespace |= {f"set_{name}": getattr(RecordedEvent, name).__set__ for name in names}
    exec(source, namespace)  # our own source, from our own field names
    assemble: Callable[..., RecordedEvent] = namespace["assemble"]
    return assemble


_assemble = _assembler()


NO_METADATA: Mapping[str, Any] = MappingProxyType({})
"""The metadata of every decoded record that has none: one shared, read-only mapping."""

_ACTORS = Sharing()
"""Equal actors of decoded records, one mapping: a store holds millions of events
from a few thousand people."""


def _shared_actor(actor: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first-decoded actor with the same items in the same order."""
    try:
        key = tuple(actor.items())
    except AttributeError:  # not a mapping, which the contract rules out: kept as it is
        return actor
    return _ACTORS.one(key, actor)


_RECORDED_ATS = Sharing()
"""Equal ``recorded_at`` texts, one datetime: a store writes a whole transaction
(a batch from an agency) with one ``recorded_at``, so the cases of one batch
share their events' times."""


def _recorded_at(text: str) -> datetime:
    """``datetime.fromisoformat(text)``, the same object for the same text."""
    found: datetime | None = _RECORDED_ATS.find(text)
    if found is None:
        found = _RECORDED_ATS.one(text, datetime.fromisoformat(text))
    return found


def iso_timestamp(value: datetime) -> str:
    """How records write a timestamp: RFC 3339, ``Z`` for UTC."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
