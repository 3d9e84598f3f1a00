"""Submissions made ready for the writer thread, and its answers made records.

The writer holds SQLite's one write lock, so whatever it does per event bounds
ingest throughput. Everything that does not depend on where an event lands —
its digest, its parsed fields, the bytes of its stored body up to the
``recorded_at``, ``position`` and ``stream_version`` only the writer knows — is
done here, on the caller's thread, before the append is queued. The writer
splices those three values into the body and hands back where each event
landed; the caller builds its ``RecordedEvent``s from that.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from events.records import RecordedEvent, Submission, iso_timestamp
from infra.sqlite.schema import decode
from infra.store.port import AppendResult


@dataclass(slots=True)
class Draft:
    """One submission, encoded as far as it can be before it has a place. (Not
    frozen: one is built per event on the ingest path, where a frozen dataclass's
    ``__init__`` costs a ``object.__setattr__`` per field; nothing changes it.)"""

    submission: Submission
    event_id: str
    case_id: str
    type: str
    digest: str
    occurred_at: str
    """The ``occurred_at`` column: as the canonical envelope writes it."""
    head: bytes
    """The stored body up to, not including, ``recorded_at``."""
    tail: bytes
    """The stored body after ``stream_version``."""

    def body(self, recorded_at: bytes, position: int, stream_version: int) -> bytes:
        """Exactly ``encode`` of the placed record (``recorded_at`` as
        ``iso_timestamp`` writes it), without encoding it again."""
        return b"".join(
            (
                self.head,
                b',"recorded_at":"',
                recorded_at,
                b'","position":',
                str(position).encode(),
                b',"stream_version":',
                str(stream_version).encode(),
                self.tail,
            )
        )

    def record(self, position: int, stream_version: int, recorded_at: datetime) -> RecordedEvent:
        return RecordedEvent.from_submission(
            self.submission,
            position=position,
            stream_version=stream_version,
            recorded_at=recorded_at,
        )


def draft(submission: Submission) -> Draft:
    return drafts([submission])[0]


def drafts(submissions: Sequence[Submission]) -> list[Draft]:
    """Each head is the canonical envelope as it stands (``RecordedEvent.envelope``
    gives the same keys, in the same order, in the same form) with the agency
    after it. What a batch shares, its agency and its metadata, is encoded once."""
    agency_fields: dict[str, bytes] = {}
    tails: dict[int, bytes] = {}  # by id(): a batch's submissions share one mapping
    out = []
    for submission in submissions:
        envelope, agency, metadata = submission.envelope, submission.agency, submission.metadata
        agency_field = agency_fields.get(agency)
        if agency_field is None:
            agency_field = agency_fields[agency] = b',"agency":' + orjson.dumps(agency)
        tail = tails.get(id(metadata))
        if tail is None:
            tail = tails[id(metadata)] = b',"metadata":' + orjson.dumps(dict(metadata)) + b"}"
        out.append(
            Draft(
                submission=submission,
                event_id=str(envelope["event_id"]),
                case_id=str(envelope["case_id"]),
                type=str(envelope["type"]),
                digest=submission.digest(),
                occurred_at=str(envelope["occurred_at"]),
                head=orjson.dumps(envelope)[:-1] + agency_field,
                tail=tail,
            )
        )
    return out


Place = tuple[int, int] | bytes
"""Where a draft landed: ``(position, stream_version)`` if this very draft was
recorded; for a repeat of an event already recorded (before, earlier in the group,
or earlier in the request) the body it was stored with, so the caller gets the
original record, metadata and all."""


@dataclass(slots=True)
class Placed:
    """The writer's answer to one request."""

    recorded_at: datetime
    places: Sequence[Place]
    created: Sequence[bool]

    def result(self, drafts: Sequence[Draft]) -> AppendResult:
        return AppendResult(
            events=tuple(
                decode(place)
                if isinstance(place, bytes)
                else draft.record(place[0], place[1], self.recorded_at)
                for draft, place in zip(drafts, self.places, strict=True)
            ),
            created=tuple(self.created),
        )


def recorded_at_bytes(recorded_at: datetime) -> bytes:
    return iso_timestamp(recorded_at).encode()
