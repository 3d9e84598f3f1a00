"""The public event contract: envelope, catalog v1 and the recorded event."""

from events.agencies import ALL_AGENCIES, SYSTEM_AGENCY, Agency
from events.catalog import CATALOG, INGEST_TYPES, EventType, may_post
from events.envelope import (
    MAX_BATCH,
    Actor,
    Batch,
    EnvelopeBase,
    canonical,
    parse_envelope,
    parse_submission,
)
from events.records import RecordedEvent, Submission

__all__ = [
    "ALL_AGENCIES",
    "CATALOG",
    "INGEST_TYPES",
    "MAX_BATCH",
    "SYSTEM_AGENCY",
    "Actor",
    "Agency",
    "Batch",
    "EnvelopeBase",
    "EventType",
    "RecordedEvent",
    "Submission",
    "canonical",
    "may_post",
    "parse_envelope",
    "parse_submission",
]
