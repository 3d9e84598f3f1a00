"""The projection's settings."""

import os

from pydantic import BaseModel, ConfigDict, Field


class ProjectionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cache_cases: int = Field(default=10_000, ge=1)
    """Cases kept folded in memory, least recently used out first; the others are
    loaded from the read model's snapshots when an event, a deadline or a reader
    needs them. Memory grows with this, not with the history."""
    rebuild_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    """Processes a rebuild from the embedded store folds cases in, each its own
    share of them (default: one per CPU). They write the read model in turns;
    1 folds in the rebuilding process itself."""
