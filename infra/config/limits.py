"""Limits that protect the services from oversized or hostile requests."""

from pydantic import BaseModel, ConfigDict


class LimitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_body_bytes: int = 1_048_576
    max_batch: int = 1_000
    max_json_depth: int = 32
    max_clock_skew_seconds: int = 300
    """How far in the future an ``occurred_at`` may be before it is rejected."""
