"""``KafkaEventFeed``: the ``EventFeed`` port read from the topic by a consumer group."""

import logging
from collections.abc import AsyncIterator, Mapping
from functools import partial

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from infra.config.stream import KafkaSettings
from infra.feed import FeedBatch, Ownership
from infra.kafka.admin import ensure_topic
from infra.kafka.codec import decode
from infra.kafka.errors import KafkaUnavailable, refusal
from infra.kafka.security import connection_options

POLL_MS = 500
FETCH_MAX_WAIT_MS = 50
"""How long the broker may hold a fetch waiting for data. Kafka's 500 ms default
added ~150 ms to post-to-finding latency (bench/pipeline); idle fetches every
50 ms cost the broker next to nothing."""
log = logging.getLogger(__name__)


class KafkaEventFeed:
    """Manual commits: ``batch.ack()`` commits that batch's offsets, so a consumer
    killed before acking is redelivered the batch (and dedupes by event id).

    Ack batches in the order received: committing a later batch's offsets also
    covers the earlier ones on the same partitions.

    Each rebalance (revoke or assign) starts a new generation; a batch fetched
    in an earlier one says so through ``batch.current()``.
    """

    def __init__(self, settings: KafkaSettings, *, group_id: str, max_batch: int = 500) -> None:
        self._settings, self._group_id, self._max_batch = settings, group_id, max_batch
        self._consumer: AIOKafkaConsumer | None = None
        self._rebalances = _Rebalances()

    @property
    def generation(self) -> int:
        return self._rebalances.generation

    @property
    def assigned(self) -> frozenset[int]:
        """The partitions this member holds now (none before it has joined)."""
        if self._consumer is None:
            return frozenset()
        return frozenset(tp.partition for tp in self._consumer.assignment())

    def watch(self, ownership: Ownership) -> None:
        """Await ``ownership`` on each rebalance; call before the first batch."""
        self._rebalances.watchers.append(ownership)

    async def batches(self, from_position: int) -> AsyncIterator[FeedBatch]:
        """Yield batches forever. ``from_position`` is ignored: the group's committed
        offsets say where to resume; a new group starts at the earliest offset."""
        consumer = await self._start()
        while True:
            try:
                records = await consumer.getmany(timeout_ms=POLL_MS, max_records=self._max_batch)
            except KafkaError as e:
                raise KafkaUnavailable(f"cannot read {self._settings.topic}: {e}") from e
            if records:
                # aiokafka returns only records of the assignment current on return
                # (a new assignment refetches from the committed offsets), so the
                # batch belongs to the generation of now, not of the call.
                yield self._batch(consumer, records, self.generation)

    def _batch(
        self,
        consumer: AIOKafkaConsumer,
        records: Mapping[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
        generation: int,
    ) -> FeedBatch:
        partitions: dict[str, int] = {}
        events = []
        for tp, messages in records.items():
            for message in messages:
                event = decode(message.value)
                partitions[event.event_id] = tp.partition
                events.append(event)
        events.sort(key=lambda event: event.position)
        offsets = {tp: messages[-1].offset + 1 for tp, messages in records.items()}
        return FeedBatch(
            events,
            ack=partial(self._commit, consumer, offsets),
            partitions=partitions,
            current=lambda: generation == self.generation,
        )

    async def close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()

    async def _start(self) -> AIOKafkaConsumer:
        if self._consumer is not None:
            return self._consumer
        await ensure_topic(self._settings)
        consumer = AIOKafkaConsumer(
            **connection_options(self._settings),
            group_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self._settings.session_timeout_ms,
            rebalance_timeout_ms=self._settings.session_timeout_ms,
            heartbeat_interval_ms=max(self._settings.session_timeout_ms // 5, 100),
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )
        consumer.subscribe([self._settings.topic], listener=self._rebalances)
        try:
            await consumer.start()
        except (KafkaError, KeyError) as e:
            await consumer.stop()
            if (reason := refusal(e)) is None:
                raise
            raise KafkaUnavailable(f"cannot join consumer group {self._group_id}: {reason}") from e
        self._consumer = consumer
        return consumer

    @staticmethod
    async def _commit(consumer: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int]) -> None:
        try:
            await consumer.commit(dict(offsets))
        except CommitFailedError as e:
            # The group rebalanced: these partitions now belong to another member,
            # which is redelivered this batch; its dedupe makes that harmless.
            log.warning("offsets not committed after a rebalance; expect redelivery: %s", e)
        except KafkaError as e:
            raise KafkaUnavailable(f"cannot commit offsets: {e}") from e


class _Rebalances(ConsumerRebalanceListener):  # type: ignore[misc]
    """aiokafka awaits these: ``revoked`` before the group rejoins, ``assigned``
    after it and before the first fetch of the new assignment."""

    def __init__(self) -> None:
        self.generation = 0
        self.watchers: list[Ownership] = []

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.generation += 1
        partitions = frozenset(tp.partition for tp in revoked)
        log.info("partitions revoked: %s", sorted(partitions))
        for watcher in self.watchers:
            await watcher.revoked(partitions)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.generation += 1
        partitions = frozenset(tp.partition for tp in assigned)
        log.info("partitions assigned: %s", sorted(partitions))
        for watcher in self.watchers:
            await watcher.assigned(partitions)
