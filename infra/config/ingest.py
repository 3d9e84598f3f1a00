"""How the agency services take in events."""

from pydantic import BaseModel, ConfigDict, Field


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    validation_workers: int = Field(1, ge=0)
    """Worker processes that validate large batches (``services.ingest.validation``);
    0: validate in the service process."""
    offload_min_bytes: int = Field(65_536, ge=0)
    """Bodies at least this large go to a worker; smaller ones are validated inline."""
