"""Duty-manager webhook subscriptions and delivery settings.

Validation is fail-fast: a placeholder secret, a plain-HTTP URL to a remote host,
a URL to a private or metadata address (unless ``allow_private``) or an
escalation to nobody stops start-up with a message naming the field, rather
than losing an alert at three in the morning.
"""

import base64
import binascii
import ipaddress
import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from events.agencies import Agency
from infra.webhooks.egress import LOOPBACK_NAMES, host_refusal

SECRET_PREFIX = "whsec_"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> timedelta:
    """``"50ms"``, ``"5s"``, ``"15m"``, ``"2h"``, ``"1d"`` as a ``timedelta``."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like '50ms', '5s', '15m', '2h' or '1d'")
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


def decode_secret(secret: str) -> bytes:
    """The key bytes of a Standard Webhooks ``whsec_<base64>`` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as e:
        raise ValueError("a webhook secret must be base64 after 'whsec_'") from e
    if not 24 <= len(key) <= 64:
        raise ValueError("a webhook secret must hold 24 to 64 bytes (Standard Webhooks)")
    return key


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError("webhook URLs must use HTTPS (plain HTTP only to loopback)")
    return url


def check_destination(url: str, allow_private: bool) -> None:
    """Refuse a URL whose host is private, loopback, link-local or metadata,
    unless the subscription says it really delivers inside the network."""
    host = urlsplit(url).hostname or ""
    reason = None if allow_private else host_refusal(host)
    if reason is not None:
        raise ValueError(
            f"url {url!r}: {host} is {reason}; alerts go only to public addresses "
            "unless the subscription sets allow_private = true"
        )


def _check_durations(values: list[str] | None) -> list[str] | None:
    for value in values or ():
        if parse_duration(value) <= timedelta(0):
            raise ValueError(f"{value!r} must be longer than zero")
    return values


class Subscription(BaseModel):
    """A duty manager or rota: where alerts go, which findings, and who is next."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    url: str
    secret: SecretStr
    agencies: list[Agency] | None = None
    """Findings that concern any of these agencies; None for all."""
    rules: list[str] | None = None
    """Rule ids; None for all, ``[]`` for none (a rota that only takes escalations)."""
    min_severity: Literal["low", "medium", "high", "critical"] | None = None
    case_ids: list[str] | None = None
    escalate_to: str | None = None
    escalate_after: str | None = None
    retry_schedule: list[str] | None = None
    """Delays between attempts; jitter is added. Defaults to the notifier's."""
    previous_secrets: list[SecretStr] = Field(default_factory=list)
    """Older secrets still signed with during key rotation."""
    allow_private: bool = False
    """Deliver to a private, loopback or link-local receiver (a pager gateway
    inside the network, a development receiver). Off by default: alerts then go
    only to public addresses, checked again at every send."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)

    @model_validator(mode="after")
    def _destination(self) -> "Subscription":
        check_destination(self.url, self.allow_private)
        return self

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        decode_secret(value.get_secret_value())
        return value

    @field_validator("previous_secrets")
    @classmethod
    def _previous(cls, values: list[SecretStr]) -> list[SecretStr]:
        for value in values:
            decode_secret(value.get_secret_value())
        return values

    @field_validator("escalate_after")
    @classmethod
    def _escalate_after(cls, value: str | None) -> str | None:
        _check_durations(None if value is None else [value])
        return value

    @field_validator("retry_schedule")
    @classmethod
    def _schedule(cls, values: list[str] | None) -> list[str] | None:
        if values is not None and not values:
            raise ValueError("retry_schedule needs at least one delay (omit it for the default)")
        return _check_durations(values)

    def signing_secrets(self) -> list[str]:
        """Current secret first, then the ones being rotated out."""
        return [s.get_secret_value() for s in (self.secret, *self.previous_secrets)]

    @property
    def escalation_delay(self) -> timedelta | None:
        return None if self.escalate_after is None else parse_duration(self.escalate_after)


class NotifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    horizon: str = "24h"
    """How long to keep retrying an alert before it fails for good."""
    request_timeout_seconds: float = Field(default=10.0, gt=0)
    default_retry_schedule: list[str] = Field(
        default_factory=lambda: ["5s", "5m", "30m", "2h", "5h", "10h"], min_length=1
    )
    jitter: float = Field(default=0.1, ge=0, le=1)
    """Up to this fraction of each delay is added at random, so receivers that
    recover together are not hit by every sender in the same second."""
    max_in_flight: int = Field(default=32, ge=1)
    outbox_path: Path | None = None
    """Defaults to ``<data_dir>/notifier.db``."""
    lease_ttl_seconds: float = Field(default=10.0, gt=0)
    """How long the delivery lease lasts unrenewed. Of the notifiers sharing one
    outbox only the lease holder sends; it renews every third of this, and a
    standby takes over within this plus a third after the holder dies (10 s:
    within 15 s)."""
    lease_owner: str | None = None
    """This replica's name in the lease and the logs (default: the host name).
    The process id and a random suffix are always added, so no two notifiers
    ever hold the lease as one."""

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, value: str) -> str:
        _check_durations([value])
        return value

    @field_validator("default_retry_schedule")
    @classmethod
    def _default(cls, values: list[str]) -> list[str]:
        _check_durations(values)
        return values

    @property
    def horizon_delta(self) -> timedelta:
        return parse_duration(self.horizon)


def check_subscriptions(subscriptions: Sequence[Subscription]) -> None:
    """Cross-checks one subscription cannot make: unique names, escalation to
    another existing subscription with a delay, and no escalation cycle."""
    by_name = {s.name: s for s in subscriptions}
    if len(by_name) != len(subscriptions):
        raise ValueError("subscription names must be unique")
    for sub in subscriptions:
        if sub.escalate_to is None:
            continue
        if sub.escalate_to == sub.name or sub.escalate_to not in by_name:
            raise ValueError(
                f"subscriptions[{sub.name}].escalate_to must name another subscription"
            )
        if sub.escalate_after is None:
            raise ValueError(f"subscriptions[{sub.name}].escalate_after is required")
        _check_no_cycle(sub, by_name)


def _check_no_cycle(start: Subscription, by_name: dict[str, Subscription]) -> None:
    seen = {start.name}
    current = start
    while current.escalate_to is not None:
        if current.escalate_to in seen:
            raise ValueError(f"subscriptions[{start.name}]: escalation loops back to itself")
        seen.add(current.escalate_to)
        current = by_name[current.escalate_to]
