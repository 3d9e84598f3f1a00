"""Duty-manager webhook subscriptions and delivery settings."""

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    url: str
    secret: SecretStr
    agencies: list[str] | None = None
    rules: list[str] | None = None
    min_severity: str | None = None
    case_ids: list[str] | None = None
    escalate_to: str | None = None
    escalate_after: str | None = None
    retry_schedule: list[str] | None = None
    previous_secrets: list[SecretStr] = Field(default_factory=list)
    """Older secrets still signed with during key rotation."""


class NotifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    horizon: str = "24h"
    request_timeout_seconds: float = 10.0
    default_retry_schedule: list[str] = Field(
        default_factory=lambda: ["5s", "5m", "30m", "2h", "5h", "10h"]
    )
