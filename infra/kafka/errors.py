"""The one error the Kafka adapters raise; aiokafka's errors never leak past them."""


class KafkaUnavailable(Exception):
    """The broker could not be reached, or refused a send or a commit.

    Nothing after the last confirmed send (or commit) is acknowledged: the relay
    resends from its checkpoint, a consumer is redelivered from its last commit.
    """
