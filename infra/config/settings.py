"""The root settings model and its loader."""

import os
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from infra.config.console import ConsoleSettings
from infra.config.credentials import Credential
from infra.config.ingest import IngestSettings
from infra.config.limits import LimitSettings
from infra.config.notifier import NotifierSettings, Subscription, check_subscriptions
from infra.config.rules import RuleSettings
from infra.config.stream import KafkaSettings, StoreSettings
from infra.config.trust import TrustSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SAFEGUARD_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Path("safeguard-data")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    """Base URL duty managers use to open a case picture (links in alerts)."""
    log_level: str = "INFO"

    credentials: list[Credential] = Field(default_factory=list)
    store: StoreSettings = Field(default_factory=StoreSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    subscriptions: list[Subscription] = Field(default_factory=list)
    notifier: NotifierSettings = Field(default_factory=NotifierSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    @model_validator(mode="after")
    def _cross_checks(self) -> "Settings":
        """Checks no single section can make, so a bad config stops start-up."""
        check_subscriptions(self.subscriptions)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("SAFEGUARD_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_file)))
        return tuple(sources)

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Load settings from ``config`` (or ``SAFEGUARD_CONFIG``), env, then overrides."""
    if config is not None:
        os.environ["SAFEGUARD_CONFIG"] = str(config)
    return Settings(**overrides)
