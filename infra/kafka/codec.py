"""How a recorded event travels on the topic: key = case id, value = its JSON."""

import orjson

from events.records import RecordedEvent

Headers = list[tuple[str, bytes]]


def encode(event: RecordedEvent) -> tuple[bytes, bytes, Headers]:
    """Key, value and headers. The key keeps a case on one partition, hence in order;
    the event id header lets tools dedupe without parsing the value."""
    headers = [("event_id", event.event_id.encode()), ("type", event.type.encode())]
    return event.case_id.encode(), orjson.dumps(event.to_json()), headers


def decode(value: bytes) -> RecordedEvent:
    return RecordedEvent.from_json(orjson.loads(value))
