"""EventStoreDB / KurrentDB adapter of the ``EventStore`` port (``kurrentdbclient``).

``kurrentdbclient`` is the maintained successor of ``esdbclient`` (same API,
EventStoreDB 23.10/24.10 and KurrentDB 25+). ``esdbclient`` pins an old
``grpcio`` and cannot be installed beside it: do not add it.
"""

from infra.eventstoredb.store import EventStoreDBEventStore

__all__ = ["EventStoreDBEventStore"]
