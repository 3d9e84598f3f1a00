"""Per-area overrides of rule deadlines and severities (local timescales differ)."""

from pydantic import BaseModel, ConfigDict, Field


class RuleOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    deadline: str | None = None
    """"1h", "24h", "30m" or "1 working day" / "3 working days"."""
    severity: str | None = None
    deadlines: dict[str, str] = Field(default_factory=dict)
    """For ``not-shared``: deadline per event type, e.g. {"concern.observed": "2h"}."""


class RuleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area: str = "England (default timescales)"
    timezone: str = "Europe/London"
    holiday_subdivision: str = "ENG"
    """England and Wales share bank holidays except for Wales' own; ENG or WLS."""
    overrides: dict[str, RuleOverride] = Field(default_factory=dict)
