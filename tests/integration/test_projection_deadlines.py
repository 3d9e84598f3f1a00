"""Deadlines by the clock: each opens its finding when it passes, with no further
event, even when a later event brings a case's next deadline forward.

Driven through ``handle`` and ``tick`` with a hand-moved clock (the timer loop
itself is covered through the real server in ``test_projection_live``); the read
model is the real SQLite file.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from events import Submission, canonical, parse_envelope
from events.findings import Finding
from events.records import RecordedEvent
from infra.clock import FixedClock
from infra.feed import FeedBatch
from services.projection.bootstrap import open_read_model
from services.projection.casebook import CaseBook
from services.projection.domain.rules import default_policy
from services.projection.service import ProjectionService
from tests.support.factories import make_envelope

T0 = datetime(2025, 1, 3, 18, 0, tzinfo=UTC)


class Announced:
    def __init__(self) -> None:
        self.opened: list[tuple[str, str | None]] = []

    async def on_findings(self, findings: Sequence[Finding]) -> None:
        self.opened += [(f.rule, f.to_agency) for f in findings if f.status == "open"]


def recorded(position: int, agency: str, type_: str, **data: object) -> RecordedEvent:
    envelope = make_envelope(type_, case_id="case-d", occurred_at=T0.isoformat(), **data)
    sub = Submission(canonical(parse_envelope(envelope)), agency)
    return RecordedEvent.from_submission(
        sub, position=position, stream_version=position, recorded_at=T0
    )


async def test_a_nearer_deadline_arriving_later_opens_first_and_the_farther_still_opens(
    tmp_path: Path,
) -> None:
    clock, sink = FixedClock(T0), Announced()
    service = ProjectionService(
        feed=None,  # type: ignore[arg-type]  # driven through handle()
        model=open_read_model(tmp_path / "projection.db", default_policy(), keep_events=True),
        casebook=CaseBook(default_policy()),
        clock=clock,
        sinks=[sink],
    )
    await service.start()
    # given a concern EDT must hear of within 4 h, then a breach police must hear of in 1 h
    await service.handle(FeedBatch([recorded(1, "health", "concern.observed")]))
    await service.handle(FeedBatch([recorded(2, "edt", "agreement.breached")]))
    assert sink.opened == []

    clock.set(T0 + timedelta(hours=1))
    await service.tick()
    assert sink.opened == [("not-shared", "police")]

    clock.set(T0 + timedelta(hours=4))
    await service.tick()
    assert sink.opened == [("not-shared", "police"), ("not-shared", "edt")]

    await service.tick()  # nothing is announced twice
    assert len(sink.opened) == 2
