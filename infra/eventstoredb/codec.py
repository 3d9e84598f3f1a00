"""How a submission is stored as an EventStoreDB event, and read back.

The ESDB event id *is* the envelope's ``event_id``. Its data holds what only we
know (envelope, agency, metadata, recorded_at, digest, and the id of the append
that wrote it); ``stream_version`` and
``position`` are derived on read (stream revision + 1; rank in ``$all``), so they
are never written and can never disagree with the log.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from kurrentdbclient import NewEvent
from kurrentdbclient import RecordedEvent as ESDBEvent

from events.records import RecordedEvent, Submission

Key = tuple[int, int]
"""(commit position, prepare position): an event's place in ``$all``."""


def key(event: ESDBEvent) -> Key:
    return event.commit_position, event.prepare_position


def to_new_event(sub: Submission, *, recorded_at: datetime, append_id: str) -> NewEvent:
    data = {
        "envelope": dict(sub.envelope),
        "agency": sub.agency,
        "metadata": dict(sub.metadata),
        "recorded_at": recorded_at.isoformat(),
        "digest": sub.digest(),
        "append_id": append_id,
    }
    # In the data, not the ESDB metadata: the v2 append APIs turn metadata into
    # typed properties, and our read-back must see exactly what we wrote.
    return NewEvent(type=str(sub.envelope["type"]), data=orjson.dumps(data), id=UUID(sub.event_id))


class Stored:
    """One ESDB event decoded: our record plus what idempotency checks need."""

    __slots__ = ("append_id", "digest", "event_id", "key", "record")

    def __init__(self, event: ESDBEvent, position: int) -> None:
        data: dict[str, Any] = orjson.loads(event.data)
        sub = Submission(data["envelope"], data["agency"], data["metadata"])
        self.record = RecordedEvent.from_submission(
            sub,
            position=position,
            stream_version=event.stream_position + 1,
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
        )
        self.digest: str = data["digest"]
        self.append_id: str = data.get("append_id", "")
        self.event_id = sub.event_id
        self.key = key(event)


def recorded_at(event: ESDBEvent) -> datetime:
    """When a stored event was recorded, without decoding the rest of it."""
    return datetime.fromisoformat(orjson.loads(event.data)["recorded_at"])
