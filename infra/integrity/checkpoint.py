"""Signed checkpoints: a position and its chain hash, signed with Ed25519.

Anyone who keeps a checkpoint can later prove the store still holds the same
history up to that position: rewriting any earlier event (and recomputing every
hash after it) changes the chain hash there, and the signature stops the
checkpoint itself being rewritten to match.

Format 2 also signs the access audit's head (its record count and chain hash):
the audit is append-only and chained, but deleting its newest records leaves a
shorter chain that is still self-consistent; only a head signed earlier and kept
elsewhere shows that records are gone.
"""

import base64
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events.records import canonical_bytes

FORMAT = "safeguard-checkpoint/1"
FORMAT_WITH_AUDIT = "safeguard-checkpoint/2"


class InvalidCheckpoint(ValueError):
    """The file is not a checkpoint, or its signature does not verify: trust nothing in it."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    position: int
    chain_hash: str
    created_at: str
    public_key: str
    """Base64 raw Ed25519 public key of the signer."""
    signature: str = ""
    audit_seq: int | None = None
    """Records in the access audit when signed (format 2), or None (format 1)."""
    audit_chain_hash: str | None = None

    def signed_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "format": FORMAT,
            "position": self.position,
            "chain_hash": self.chain_hash,
            "created_at": self.created_at,
            "public_key": self.public_key,
        }
        if self.audit_seq is not None:
            fields |= {
                "format": FORMAT_WITH_AUDIT,
                "audit_seq": self.audit_seq,
                "audit_chain_hash": self.audit_chain_hash,
            }
        return fields

    def to_json(self) -> bytes:
        document = {**self.signed_fields(), "signature": self.signature}
        return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


def public_key_of(seed: bytes) -> str:
    raw = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return _b64(raw.public_bytes(Encoding.Raw, PublicFormat.Raw))


def sign(
    seed: bytes,
    *,
    position: int,
    chain_hash: bytes,
    created_at: datetime,
    audit: tuple[int, bytes] | None = None,
) -> Checkpoint:
    """``audit`` is the access audit's head (record count, chain hash), if it has one."""
    key = Ed25519PrivateKey.from_private_bytes(seed)
    unsigned = Checkpoint(position, chain_hash.hex(), created_at.isoformat(), public_key_of(seed))
    if audit is not None:
        unsigned = replace(unsigned, audit_seq=audit[0], audit_chain_hash=audit[1].hex())
    signature = key.sign(canonical_bytes(unsigned.signed_fields()))
    return replace(unsigned, signature=_b64(signature))


def load(data: bytes, *, trusted_key: str | None) -> Checkpoint:
    """Parse and verify a checkpoint. With ``trusted_key`` (base64), it must be the
    signer; without one the embedded key is used, which proves integrity of the
    file but not who made it."""
    try:
        obj = orjson.loads(data)
        checkpoint = Checkpoint(
            position=int(obj["position"]),
            chain_hash=str(obj["chain_hash"]),
            created_at=str(obj["created_at"]),
            public_key=str(obj["public_key"]),
            signature=str(obj["signature"]),
        )
        if obj.get("format") == FORMAT_WITH_AUDIT:
            checkpoint = replace(
                checkpoint,
                audit_seq=int(obj["audit_seq"]),
                audit_chain_hash=str(obj["audit_chain_hash"]),
            )
        ok = obj.get("format") in (FORMAT, FORMAT_WITH_AUDIT)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise InvalidCheckpoint(f"not a Safeguard checkpoint: {type(e).__name__}") from None
    if not ok:
        raise InvalidCheckpoint(f"not a {FORMAT} or {FORMAT_WITH_AUDIT} file")
    if trusted_key is not None and checkpoint.public_key != trusted_key:
        raise InvalidCheckpoint("signed by another key than the configured signing key")
    _check_signature(checkpoint)
    return checkpoint


def _check_signature(checkpoint: Checkpoint) -> None:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(checkpoint.public_key))
        key.verify(
            base64.b64decode(checkpoint.signature), canonical_bytes(checkpoint.signed_fields())
        )
    except (InvalidSignature, ValueError) as e:
        raise InvalidCheckpoint("the checkpoint signature does not verify") from e


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
