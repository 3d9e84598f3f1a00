"""The projection keeps raising findings when its feed or its listeners fail for a
while: it logs, waits, re-announces what may have been missed, and resumes.

The feed and the sink are hand-written fakes of their ports (a broker outage and a
failing outbox cannot be staged on demand with the real ones); the read model is
the real SQLite file.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events.findings import Finding
from events.records import RecordedEvent
from infra.clock import FixedClock
from infra.feed import FeedBatch
from infra.store.port import StoreUnavailable
from services.projection import service as service_module
from services.projection.bootstrap import open_read_model
from services.projection.casebook import CaseBook
from services.projection.domain.rules import default_policy
from services.projection.service import ProjectionService
from tests.support.scenario import recorded_events


class FlakyFeed:
    """Delivers the first half, fails once, then (re-subscribed) the rest."""

    def __init__(self, events: list[RecordedEvent]) -> None:
        self._events = events
        self.subscriptions = 0

    async def batches(self, from_position: int) -> AsyncIterator[FeedBatch]:
        self.subscriptions += 1
        rest = [e for e in self._events if e.position >= from_position]
        if self.subscriptions == 1:
            yield FeedBatch(rest[: len(rest) // 2])
            raise StoreUnavailable("the store went away")
        yield FeedBatch(rest)
        await asyncio.Event().wait()  # live: nothing more

    async def close(self) -> None:
        return None


class FlakySink:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.statuses: dict[str, str] = {}
        self.updated = asyncio.Event()

    async def on_findings(self, findings: Sequence[Finding]) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("the outbox could not be written")
        self.statuses.update({f.finding_id: f.status for f in findings})
        self.updated.set()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "RETRY_FIRST", 0.01)


async def _run_until_announced(
    service: ProjectionService, sink: FlakySink, want: dict[str, str]
) -> None:
    task = asyncio.create_task(service.run())
    try:
        async with asyncio.timeout(10):
            while sink.statuses != want:
                await sink.updated.wait()
                sink.updated.clear()
    finally:
        task.cancel()


@pytest.mark.parametrize("sink_failures", [0, 2])
async def test_findings_are_all_announced_despite_a_feed_outage_and_a_failing_sink(
    tmp_path: Path, sink_failures: int, caplog: pytest.LogCaptureFixture
) -> None:
    events = recorded_events("child-k")
    at = datetime(2017, 1, 3, 9, tzinfo=UTC)
    policy = default_policy()
    expected = CaseBook(policy)
    expected.load(events)
    want = {f.finding_id: f.status for f in expected.findings("child-k", at)}
    feed, sink = FlakyFeed(events), FlakySink(sink_failures)
    service = ProjectionService(
        feed=feed,
        model=open_read_model(tmp_path / "projection.db", policy, keep_events=True),
        casebook=CaseBook(policy),
        clock=FixedClock(at),
        sinks=[sink],
    )
    await service.start()
    with caplog.at_level(logging.ERROR, logger="safeguard.projection"):
        await _run_until_announced(service, sink, want)
    assert sink.statuses == want
    assert feed.subscriptions == 2
    assert service.failures >= 1
    assert "projection feed failed" in caplog.text
