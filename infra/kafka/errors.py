"""The one error the Kafka adapters raise; aiokafka's errors never leak past them."""

from aiokafka.errors import KafkaError


class KafkaUnavailable(Exception):
    """The broker could not be reached, or refused a send or a commit.

    Nothing after the last confirmed send (or commit) is acknowledged: the relay
    resends from its checkpoint, a consumer is redelivered from its last commit.
    """


def refusal(error: Exception) -> str | None:
    """What to report when a client's ``start()`` raised because the broker cannot
    be used; None for any other error (a bug, to be raised as it is).

    Besides ``KafkaError``: aiokafka 0.14's SCRAM client raises ``KeyError('v')``
    when the broker ends the exchange with an error (``e=``, wrong credentials)
    instead of its signature."""
    if isinstance(error, KafkaError):
        return str(error)
    if isinstance(error, KeyError) and error.args == ("v",):
        return "the broker refused the SASL/SCRAM credentials"
    return None
