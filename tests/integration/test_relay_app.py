"""The relay service (``services.relay.app``) with a hand-written publisher that
fails: it resumes from its checkpoint, loses nothing, and reports via /healthz
and /metrics."""

import asyncio
from collections.abc import Sequence
from pathlib import Path

import httpx

from events import Submission
from events.records import RecordedEvent
from infra.config import Settings
from infra.kafka import KafkaUnavailable
from infra.metrics import Metrics
from infra.sqlite.store import SQLiteEventStore
from services.relay.app import create_app
from services.relay.checkpoint import SQLiteRelayCheckpoint
from tests.support.factories import make_submission, new_event_id


class FlakyPublisher:
    """Accepts the first half of a batch, then fails, ``failures`` times."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.published: list[RecordedEvent] = []
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1

    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        if self.failures:
            self.failures -= 1
            self.published.extend(events[: len(events) // 2])
            raise KafkaUnavailable("broker went away mid-batch")
        self.published.extend(events)

    async def close(self) -> None:
        return None


def submissions(n: int) -> list[Submission]:
    templates = [make_submission(case_id=f"case-{c}") for c in range(3)]
    return [
        Submission({**templates[i % 3].envelope, "event_id": new_event_id()}, "police")
        for i in range(n)
    ]


async def healthy_at(client: httpx.AsyncClient, position: int) -> httpx.Response:
    """Poll /healthz (a fact, under a deadline) until the relay reports ``position``."""
    async with asyncio.timeout(20):
        while True:
            response = await client.get("/healthz")
            if response.status_code == 200 and response.json()["position"] == position:
                return response
            await asyncio.sleep(0.01)


async def test_relay_resumes_after_broker_failures_without_losing_events(tmp_path: Path) -> None:
    subs = submissions(120)
    publisher = FlakyPublisher(failures=2)
    settings = Settings(data_dir=tmp_path)
    settings.kafka.relay_batch = 50
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        await store.append(subs)
        app = create_app(
            settings,
            store=store,
            publisher=publisher,
            checkpoint=SQLiteRelayCheckpoint(tmp_path / "relay.db"),
            metrics=Metrics(),
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://relay"
            ) as client,
        ):
            health = await healthy_at(client, 120)
            metrics = await client.get("/metrics")

    assert publisher.starts == 3  # started, then restarted after each failure
    positions = [e.position for e in publisher.published]
    first_seen = list(dict.fromkeys(positions))
    assert first_seen == list(range(1, 121))  # in order, nothing lost
    assert len(positions) - 120 == 2 * 25  # the resent halves of the two failed batches
    assert health.json() == {"status": "ok", "position": 120, "head": 120}
    assert "safeguard_relayed_events_total 120.0" in metrics.text
    assert 'safeguard_subscription_lag_events{consumer="relay"} 0.0' in metrics.text
