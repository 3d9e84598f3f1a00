"""Bearer-key credentials. Keys are held as SHA-256 hashes and never logged."""

import hashlib
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from events.agencies import Agency

Role = Literal["agency", "duty_manager", "reviewer", "admin"]
Environment = Literal["production", "development"]
"""``development`` allows plain-text ``key = ...`` entries (``safeguard serve`` writes
such a config); ``production``, the default, takes only ``key_sha256``."""


class Credential(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: SecretStr | None = None
    key_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    role: Role
    agency: Agency | None = None
    name: str | None = None
    """Who holds the key, for the access audit (e.g. ``edt-duty-manager``)."""
    can_import: bool = False
    """May post ``?import=historical`` for events whose deadlines may still be
    running (which would page nobody): grant it only to an operator's import job."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.key is None) == (self.key_sha256 is None):
            raise ValueError("give exactly one of key or key_sha256")
        if self.role in ("agency", "duty_manager") and self.agency is None:
            raise ValueError(f"role {self.role} needs an agency")
        return self

    @property
    def digest(self) -> str:
        if self.key_sha256 is not None:
            return self.key_sha256
        assert self.key is not None
        return hash_key(self.key.get_secret_value())


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
