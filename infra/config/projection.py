"""The projection's settings."""

from pydantic import BaseModel, ConfigDict, Field


class ProjectionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cache_cases: int = Field(default=10_000, ge=1)
    """Cases kept folded in memory, least recently used out first; the others are
    loaded from the read model's snapshots when an event, a deadline or a reader
    needs them. Memory grows with this, not with the history."""
