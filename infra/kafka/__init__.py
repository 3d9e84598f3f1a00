"""Kafka adapters: the relay's publisher and the consumers' feed.

Both speak the plain Kafka protocol through aiokafka, so they run against Apache
Kafka in production and the tansu broker in tests.
"""

from infra.kafka.errors import KafkaUnavailable
from infra.kafka.feed import KafkaEventFeed
from infra.kafka.publisher import KafkaEventPublisher

__all__ = ["KafkaEventFeed", "KafkaEventPublisher", "KafkaUnavailable"]
