"""Topic creation, so the relay and consumers may start in any order."""

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from infra.config.stream import KafkaSettings
from infra.kafka.errors import KafkaUnavailable, refusal
from infra.kafka.security import connection_options


async def ensure_topic(settings: KafkaSettings) -> None:
    """Create the events topic if it does not exist; an existing one is left as is."""
    admin = AIOKafkaAdminClient(
        **connection_options(settings), request_timeout_ms=settings.admin_timeout_ms
    )
    try:
        await admin.start()
        if settings.topic in await admin.list_topics():
            return
        topic = NewTopic(settings.topic, settings.partitions, settings.replication_factor)
        try:
            await admin.create_topics([topic])
        except TopicAlreadyExistsError:
            return  # another process created it between our list and create
    except (KafkaError, KeyError) as e:
        if (reason := refusal(e)) is None:
            raise
        raise KafkaUnavailable(f"cannot create topic {settings.topic}: {reason}") from e
    finally:
        await admin.close()
