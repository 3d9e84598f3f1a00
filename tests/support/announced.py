"""A finding sink and a one-event case for tests that drive a projection by hand."""

from collections.abc import Sequence
from datetime import UTC, datetime

from events import Submission, canonical, parse_envelope
from events.findings import Finding
from events.records import RecordedEvent
from tests.support.factories import make_envelope

T0 = datetime(2025, 1, 3, 18, 0, tzinfo=UTC)


class Announced:
    """The case of each finding announced open, in order."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    async def on_findings(self, findings: Sequence[Finding]) -> None:
        self.opened += [f.case_id for f in findings if f.status == "open"]


def concern(position: int, case_id: str) -> RecordedEvent:
    """A health concern at ``T0``: EDT must hear of it within 4 hours."""
    envelope = make_envelope("concern.observed", case_id=case_id, occurred_at=T0.isoformat())
    sub = Submission(canonical(parse_envelope(envelope)), "health")
    return RecordedEvent.from_submission(sub, position=position, stream_version=1, recorded_at=T0)
