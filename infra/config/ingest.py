"""How the agency services take in events."""

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from infra.config.notifier import parse_duration
from infra.config.rules import RuleSettings, override_spans


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    validation_workers: int = Field(1, ge=0)
    """Worker processes that validate large batches (``services.ingest.validation``);
    0: validate in the service process."""
    offload_min_bytes: int = Field(65_536, ge=0)
    """Bodies at least this large go to a worker; smaller ones are validated inline."""
    historical_horizon: str = "72h"
    """``?import=historical`` without ``can_import`` is refused for an event that
    occurred less than this long ago: a rule deadline it sets could still be
    running, and a historical finding pages nobody. Must be at least the longest
    deadline any rule can set after an event's ``occurred_at`` (24h with the
    built-in rules; start-up checks every ``rules.overrides`` deadline)."""

    @field_validator("historical_horizon")
    @classmethod
    def _horizon(cls, value: str) -> str:
        if parse_duration(value) <= timedelta(0):
            raise ValueError(f"{value!r} must be longer than zero")
        return value

    @property
    def historical_horizon_delta(self) -> timedelta:
        return parse_duration(self.historical_horizon)

    def check_covers(self, rules: RuleSettings) -> None:
        """Fail fast if an overridden deadline outlasts the horizon: history of
        that age could otherwise silence a finding that is still to come."""
        for where, span in override_spans(rules):
            if span > self.historical_horizon_delta:
                raise ValueError(
                    f"{where} can run {span} after an event, longer than"
                    f" ingest.historical_horizon ({self.historical_horizon}); raise the horizon"
                )
