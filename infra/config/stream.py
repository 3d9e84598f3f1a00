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


class KafkaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bootstrap_servers: str = "localhost:9092"
    topic: str = "safeguarding.events"
    enable_idempotence: bool = True
    projection_group: str = "safeguard-projection"
    notifier_group: str = "safeguard-notifier"
