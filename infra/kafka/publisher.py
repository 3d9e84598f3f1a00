"""``KafkaEventPublisher``: the relay's way onto the topic, durable on return."""

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from events.records import RecordedEvent
from infra.config.stream import KafkaSettings
from infra.kafka.admin import ensure_topic
from infra.kafka.codec import encode
from infra.kafka.errors import KafkaUnavailable, refusal
from infra.kafka.security import connection_options


class KafkaEventPublisher:
    """``acks=all``; idempotent where the broker supports it (tansu does not).

    Per-case order holds even without idempotence: the key pins a case to one
    partition and aiokafka keeps at most one batch in flight per partition, so a
    retried batch cannot overtake the next one.
    """

    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        await ensure_topic(self._settings)
        producer = AIOKafkaProducer(
            **connection_options(self._settings),
            acks="all",
            enable_idempotence=self._settings.enable_idempotence,
            client_id="safeguard-relay",
        )
        try:
            await producer.start()
        except (KafkaError, KeyError) as e:
            await producer.stop()
            if (reason := refusal(e)) is None:
                raise
            raise KafkaUnavailable(f"cannot connect to Kafka: {reason}") from e
        self._producer = producer

    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Send every event and return only once the broker confirmed them all."""
        if self._producer is None:
            raise KafkaUnavailable("the publisher is not started")
        topic = self._settings.topic
        try:
            sent = []
            for event in events:
                key, value, headers = encode(event)
                sent.append(await self._producer.send(topic, value, key=key, headers=headers))
            await asyncio.gather(*sent)
        except KafkaError as e:
            raise KafkaUnavailable(f"Kafka did not confirm the send: {e}") from e

    async def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()
