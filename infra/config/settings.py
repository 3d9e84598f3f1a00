"""The root settings model and its loader.

Sources, highest first: arguments, ``SAFEGUARD_*`` environment variables, the
secrets directory, then the TOML file. The secrets directory
(``SAFEGUARD_SECRETS_DIR``, else ``/run/secrets`` when it exists: Docker and
Kubernetes mount secrets there) holds one file per value, named like the
environment variable in lower case: ``safeguard_trust__signing_key_seed``.
"""

import os
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from infra.config.console import ConsoleSettings
from infra.config.credentials import Credential, Environment
from infra.config.ingest import IngestSettings
from infra.config.limits import LimitSettings
from infra.config.notifier import NotifierSettings, Subscription, check_subscriptions
from infra.config.projection import ProjectionSettings
from infra.config.proxies import check_forwarded_allow_ips
from infra.config.rules import RuleSettings
from infra.config.stream import KafkaSettings, StoreSettings
from infra.config.trust import TrustSettings

DEFAULT_SECRETS_DIR = Path("/run/secrets")


def secrets_directory() -> Path | None:
    """``SAFEGUARD_SECRETS_DIR`` (which must then exist), else ``/run/secrets`` if present."""
    named = os.environ.get("SAFEGUARD_SECRETS_DIR")
    if named:
        return Path(named)
    return DEFAULT_SECRETS_DIR if DEFAULT_SECRETS_DIR.is_dir() else None


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
    environment: Environment = "production"
    """``development`` allows plain-text ``key = ...`` credentials (the config
    ``safeguard serve`` writes); production configs give ``key_sha256``."""
    forwarded_allow_ips: str | None = None
    """Comma-separated proxy addresses or networks whose ``X-Forwarded-For`` is
    believed (e.g. the gateway's); None: forwarded headers are ignored."""

    credentials: list[Credential] = Field(default_factory=list)
    store: StoreSettings = Field(default_factory=StoreSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    subscriptions: list[Subscription] = Field(default_factory=list)
    notifier: NotifierSettings = Field(default_factory=NotifierSettings)
    projection: ProjectionSettings = Field(default_factory=ProjectionSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    @model_validator(mode="after")
    def _cross_checks(self) -> "Settings":
        """Checks no single section can make, so a bad config stops start-up."""
        check_subscriptions(self.subscriptions)
        self.ingest.check_covers(self.rules)
        return self

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies(cls, value: str | None) -> str | None:
        return check_forwarded_allow_ips(value)

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
        secrets_dir = secrets_directory()
        if secrets_dir is not None:
            sources.append(
                NestedSecretsSettingsSource(
                    file_secret_settings, secrets_dir=secrets_dir, secrets_dir_missing="error"
                )
            )
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
