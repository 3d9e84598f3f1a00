"""The notifier running alone in the production layout: it folds the Kafka topic
itself and pages the duty manager, once per finding and status.

Given the Child K case in the store and the relay filling the topic (tansu), when
a notifier with ``store.feed = "kafka"`` runs, then every finding the embedded
projection announces reaches a real webhook receiver exactly once.
"""

from pathlib import Path

import pytest

from infra.clock import SystemClock
from infra.config import Settings
from infra.config.notifier import NotifierSettings
from infra.config.stream import KafkaSettings, StoreSettings
from services.notifier.app import findings_from_kafka, running_notifier
from services.relay.relay import running_relay
from tests.integration.test_kafka_projection import store_child_k
from tests.support.notifier_kit import make_subscription
from tests.support.receiver import Receiver, wait_until
from tests.support.scenario import CHILD_K_EXPECTED

pytestmark = pytest.mark.kafka


async def test_notifier_alone_pages_each_child_k_finding_once_from_kafka(
    tansu: str, tmp_path: Path, receiver: Receiver
) -> None:
    kafka = KafkaSettings(bootstrap_servers=tansu, enable_idempotence=False, partitions=3)
    settings = Settings(
        data_dir=tmp_path / "notifier",
        store=StoreSettings(feed="kafka"),
        kafka=kafka,
        subscriptions=[make_subscription("edt-duty-manager", receiver.url)],
        notifier=NotifierSettings(jitter=0),
    )
    store = await store_child_k(tmp_path / "events.db")
    clock = SystemClock()
    try:
        async with (
            running_relay(store, kafka, tmp_path / "relay.db"),
            running_notifier(settings, store=store, clock=clock) as notifier,
            findings_from_kafka(settings, notifier, clock),
        ):
            await wait_until(
                lambda: len(receiver.accepted) >= len(CHILD_K_EXPECTED),
                within=60,
                what="an alert for every Child K finding",
            )
            alerts = await notifier.alerts(limit=1000)
    finally:
        await store.close()
    finding_ids = {a.alert.finding_id for a in alerts}
    assert len(finding_ids) == len(CHILD_K_EXPECTED)
    assert all(count == 1 for count in receiver.accepted.values())
