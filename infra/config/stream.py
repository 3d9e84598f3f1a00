"""Where events are stored and how they are carried to consumers."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: Literal["sqlite", "eventstoredb"] = "sqlite"
    sqlite_path: Path | None = None
    """Defaults to ``<data_dir>/events.db``."""
    eventstoredb_uri: str = "esdb://localhost:2113?tls=false"
    feed: Literal["store", "kafka"] = "store"
    """Where the projection and notifier read the shared stream: straight from the
    store (embedded, one machine) or from the Kafka topic the relay fills."""


class KafkaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bootstrap_servers: str = "localhost:9092"
    topic: str = "safeguarding.events"
    enable_idempotence: bool = True
    projection_group: str = "safeguard-projection"
    notifier_group: str = "safeguard-notifier"
    partitions: int = 6
    """Partitions of the topic when the relay creates it; a case keeps its order
    because its events share a key, hence a partition."""
    replication_factor: int = 1
    """1 for development; 3 in production (see docs/deployment.md)."""
    relay_batch: int = 500
    """Events the relay reads from the store and sends before one checkpoint write."""
    session_timeout_ms: int = 10_000
    """How long a silent consumer keeps its partitions: the pause a killed
    projection or notifier costs its replacement before redelivery starts."""
