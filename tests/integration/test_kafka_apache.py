"""The relay and KafkaEventFeed against real Apache Kafka (KRaft) under
testcontainers, with the idempotent producer tansu lacks, from SQLite and from
KurrentDB. Skipped, with the reason, where no Docker engine answers."""

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from events import Submission
from infra.config.stream import KafkaSettings
from infra.eventstoredb import EventStoreDBEventStore
from infra.kafka import KafkaEventFeed, KafkaEventPublisher
from infra.sqlite.store import SQLiteEventStore
from services.relay.checkpoint import SQLiteRelayCheckpoint
from services.relay.relay import Relay
from tests.support.docker import apache_kafka, kurrentdb_uri
from tests.support.factories import make_submission, new_event_id

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def kafka() -> Iterator[str]:
    yield from apache_kafka()


def submissions(n: int, cases: int) -> list[Submission]:
    templates = [make_submission(case_id=f"case-{c}") for c in range(cases)]
    return [
        Submission({**templates[i % cases].envelope, "event_id": new_event_id()}, "police")
        for i in range(n)
    ]


async def test_relayed_events_reach_a_consumer_group_once_each_in_case_order(
    kafka: str, tmp_path: Path
) -> None:
    settings = KafkaSettings(bootstrap_servers=kafka, enable_idempotence=True, partitions=3)
    subs = submissions(2_000, cases=5)
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        for start in range(0, len(subs), 250):
            await store.append(subs[start : start + 250])
        publisher = KafkaEventPublisher(settings)
        checkpoint = SQLiteRelayCheckpoint(tmp_path / "relay.db")
        await publisher.start()
        relay = asyncio.create_task(Relay(store, publisher, checkpoint).run())
        feed = KafkaEventFeed(settings, group_id="it-projection")
        received = []
        try:
            async with asyncio.timeout(120):
                async for batch in feed.batches(1):
                    received.extend(batch.events)
                    await batch.ack()
                    if len(received) >= len(subs):
                        break
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
            await feed.close()
            await publisher.close()
            await checkpoint.close()

    assert sorted(e.event_id for e in received) == sorted(s.event_id for s in subs)
    for case_id in {s.case_id for s in subs}:
        versions = [e.stream_version for e in received if e.case_id == case_id]
        assert versions == list(range(1, len(versions) + 1))


@pytest.fixture(scope="module")
def kurrentdb() -> Iterator[str]:
    yield from kurrentdb_uri()


async def test_relay_carries_eventstoredb_to_apache_kafka_in_case_order(
    kafka: str, kurrentdb: str, tmp_path: Path
) -> None:
    settings = KafkaSettings(
        bootstrap_servers=kafka, topic="esdb.events", enable_idempotence=True, partitions=3
    )
    subs = submissions(300, cases=4)
    category = f"case{uuid.uuid4().hex[:12]}"
    async with EventStoreDBEventStore(kurrentdb, category=category) as store:
        for sub in subs:
            await store.append([sub])
        publisher = KafkaEventPublisher(settings)
        checkpoint = SQLiteRelayCheckpoint(tmp_path / "relay.db")
        await publisher.start()
        relay = asyncio.create_task(Relay(store, publisher, checkpoint, batch=100).run())
        feed = KafkaEventFeed(settings, group_id="it-esdb")
        received = []
        try:
            async with asyncio.timeout(120):
                async for batch in feed.batches(1):
                    received.extend(batch.events)
                    await batch.ack()
                    if len(received) >= len(subs):
                        break
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
            await feed.close()
            await publisher.close()
            await checkpoint.close()

    assert sorted(e.position for e in received) == list(range(1, 301))
    for case_id in {s.case_id for s in subs}:
        versions = [e.stream_version for e in received if e.case_id == case_id]
        assert versions == list(range(1, len(versions) + 1))
