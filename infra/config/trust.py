"""The ``[trust]`` section: the hash chain, checkpoint signing, the read audit and
the failed-authentication limit."""

import base64
import binascii
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


def decode_seed(text: str) -> bytes:
    """A 32-byte Ed25519 seed from base64 (standard or URL-safe, padding optional)."""
    cleaned = text.strip()
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        seed = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as e:
        raise ValueError("a signing key seed must be base64") from e
    if len(seed) != 32:
        raise ValueError(f"a signing key seed must decode to 32 bytes, not {len(seed)}")
    return seed


class TrustSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hash_chain: bool = True
    """Chain every stored event's hash to the one before it. Off only to measure its cost."""
    audit_reads: bool = True
    """Append every read of a case to the access audit. Off only to measure its cost."""
    audit_path: Path | None = None
    """Defaults to ``<data_dir>/audit.db``."""
    signing_key_seed: SecretStr | None = None
    """Base64 Ed25519 seed (32 bytes) that signs exported checkpoints."""
    signing_key_path: Path | None = None
    """Or a file holding that base64 seed (mode 0600)."""
    auth_failures_per_minute: int = Field(default=10, ge=1)
    """Failed authentications a source address may make per minute before 429."""

    @field_validator("signing_key_seed")
    @classmethod
    def _seed(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            decode_seed(value.get_secret_value())
        return value

    def signing_seed(self) -> bytes | None:
        """The configured seed, read from the file if a path is given; None if neither."""
        if self.signing_key_seed is not None:
            return decode_seed(self.signing_key_seed.get_secret_value())
        if self.signing_key_path is not None:
            return decode_seed(self.signing_key_path.read_text(encoding="ascii"))
        return None
