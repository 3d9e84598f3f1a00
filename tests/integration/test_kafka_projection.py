"""The Kafka-fed projection reaches exactly the pictures and findings of the
embedded (store-fed) one: same store, one path through relay → Kafka (tansu).

Given a store holding a case history, when one projection follows the store and
another follows the topic the relay fills, then every case's state and findings
(at one fixed moment) are equal.
"""

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.workload import START, workload
from events import Submission
from infra.clock import FixedClock
from infra.config import Settings
from infra.config.stream import KafkaSettings
from infra.kafka import KafkaEventFeed
from infra.sqlite.store import SQLiteEventStore
from services.projection.bootstrap import running_projection
from services.projection.domain.picture import picture
from services.projection.service import ProjectionService
from services.relay.relay import running_relay
from tests.support.scenario import CHILD_K_EVALUATE_AT, recorded_events

pytestmark = pytest.mark.kafka


async def store_child_k(path: Path) -> SQLiteEventStore:
    """The Child K scenario, each event recorded at the time the scenario says."""
    events = recorded_events("child-k")
    clock = FixedClock(events[0].recorded_at)
    store = SQLiteEventStore(path, clock=clock)
    await store.start()
    for event in events:
        clock.set(event.recorded_at)
        await store.append([Submission(event.envelope(), event.agency, event.metadata)])
    return store


async def store_generated(path: Path, cases: int, per_case: int) -> SQLiteEventStore:
    store = SQLiteEventStore(path)
    await store.start()
    for batch in workload(cases, per_case):
        await store.append(batch)
    return store


async def until_seen(service: ProjectionService, count: int, deadline: float) -> None:
    """Poll a fact (events folded) under a deadline; the service has no per-count signal."""
    async with asyncio.timeout(deadline):
        while service.seen < count:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def served_picture(service: ProjectionService, case_id: str, at: datetime) -> dict[str, Any]:
    """The picture document as the API serves it (the state object also holds
    caches, e.g. lazily computed finding ids, that may differ harmlessly)."""
    state = service.cases.state(case_id)
    assert state is not None
    return picture(state, at)


def assert_same_pictures(a: ProjectionService, b: ProjectionService, at: datetime) -> None:
    assert sorted(a.cases.case_ids()) == sorted(b.cases.case_ids())
    for case_id in a.cases.case_ids():
        assert served_picture(a, case_id, at) == served_picture(b, case_id, at), case_id
        assert a.cases.findings(case_id, at) == b.cases.findings(case_id, at), case_id


async def compare(
    store: SQLiteEventStore, tansu: str, tmp_path: Path, at: datetime, deadline: float
) -> int:
    count = await store.head_position()
    kafka = KafkaSettings(bootstrap_servers=tansu, enable_idempotence=False, partitions=3)
    clock = FixedClock(at)
    embedded_settings = Settings(data_dir=tmp_path / "embedded")
    kafka_settings = Settings(data_dir=tmp_path / "kafka", kafka=kafka)
    feed = KafkaEventFeed(kafka, group_id="test-projection", max_batch=2_000)
    async with (
        running_relay(store, kafka, tmp_path / "relay.db", batch=1_000),
        running_projection(embedded_settings, store=store, clock=clock) as embedded,
        running_projection(kafka_settings, feed=feed, clock=clock, source="kafka") as fed,
    ):
        await until_seen(embedded, count, deadline)
        await until_seen(fed, count, deadline)
        assert_same_pictures(embedded, fed, at)
        return sum(len(fed.cases.findings(c, at)) for c in fed.cases.case_ids())


async def test_kafka_fed_projection_matches_embedded_on_child_k(tansu: str, tmp_path: Path) -> None:
    store = await store_child_k(tmp_path / "events.db")
    try:
        findings = await compare(store, tansu, tmp_path, CHILD_K_EVALUATE_AT, deadline=60)
    finally:
        await store.close()

    assert findings > 0  # the comparison covered real findings


@pytest.mark.slow
async def test_kafka_fed_projection_matches_embedded_on_100k_generated_events(
    tansu: str, tmp_path: Path
) -> None:
    store = await store_generated(tmp_path / "events.db", cases=1_000, per_case=100)
    try:
        assert await store.head_position() == 100_000
        findings = await compare(store, tansu, tmp_path, START + timedelta(days=30), deadline=600)
    finally:
        await store.close()

    assert findings > 0
