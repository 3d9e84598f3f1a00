"""Failed-authentication limit per client address and per presented key:
brute-forcing keys gets 429.

After ``per_minute`` wrong keys from one address inside a sliding minute, every
request from it that needs a key is refused with 429 and ``Retry-After`` until
the oldest failure ages out, even with a right key, so the limit is no oracle.
The same count is kept per presented key (a prefix of its SHA-256, never the
key), so spreading one guess over many source addresses is limited too.

The address is the real client as uvicorn resolves it: the TCP peer, or the
``X-Forwarded-For`` client only when the peer is a proxy listed in
``forwarded_allow_ips`` (``services.http.server``); a spoofed header from anyone
else changes nothing. A failure is logged with the address, path and the key's
digest prefix, never the key presented.
"""

import logging
import math
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request

from services.http.problems import Problem

log = logging.getLogger("safeguard.auth")

WINDOW_SECONDS = 60.0
MAX_SOURCES = 10_000
"""Addresses and keys tracked at once; beyond it the stalest are forgotten (bounded memory)."""
KEY_PREFIX_BYTES = 8
"""How much of a presented key's digest names it in the limiter and the log."""


class TooManyRequests(Problem):
    status, title, slug = 429, "Too Many Requests", "too-many-requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed authentications from this address or with this key;"
            f" retry in {retry_after}s",
            headers={"Retry-After": str(retry_after)},
        )


class FailedAuthLimiter:
    def __init__(
        self,
        per_minute: int,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_sources: int = MAX_SOURCES,
    ) -> None:
        self.per_minute, self.window, self._clock = per_minute, window, clock
        self.max_sources = max_sources
        self._failures: dict[str, deque[float]] = {}

    def quiet(self) -> bool:
        """No failure on record from anyone: nothing to look up (every accepted request)."""
        return not self._failures

    def retry_after(self, source: str) -> int | None:
        """Seconds until ``source`` may try again, or None if it may now."""
        if source not in self._failures:
            return None  # the common case, asked on every request: nothing to age out
        failures = self._recent(source)
        if len(failures) < self.per_minute:
            return None
        return max(1, math.ceil(failures[0] + self.window - self._clock()))

    def failed(self, source: str) -> None:
        failures = self._recent(source)
        failures.append(self._clock())
        self._failures.pop(source, None)
        self._failures[source] = failures  # most recently failed last
        if len(self._failures) > self.max_sources:
            del self._failures[next(iter(self._failures))]

    def _recent(self, source: str) -> deque[float]:
        failures = self._failures.get(source, deque())
        horizon = self._clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures


def _sources(request: Request, digest: bytes | None) -> list[str]:
    """What a failure counts against: the client address and, if one was
    presented, the key (by digest prefix)."""
    client = f"client:{request.client.host if request.client else 'unknown'}"
    return [client] if digest is None else [client, f"key:{key_label(digest)}"]


def key_label(digest: bytes) -> str:
    return digest[:KEY_PREFIX_BYTES].hex()


def _limiter(request: Request) -> FailedAuthLimiter | None:
    limiter: FailedAuthLimiter | None = getattr(request.app.state, "auth_limiter", None)
    return limiter


def refuse_if_limited(request: Request, digest: bytes | None = None) -> None:
    """Called before a key is checked: 429 if this client, or the presented key
    (``digest``: its SHA-256), failed too often."""
    limiter = _limiter(request)
    if limiter is None or limiter.quiet():
        return
    waits = [w for s in _sources(request, digest) if (w := limiter.retry_after(s)) is not None]
    if waits:
        raise TooManyRequests(max(waits))


def note_failed_auth(request: Request, digest: bytes) -> None:
    """Count and log a wrong key (by digest prefix, never the key)."""
    sources = _sources(request, digest)
    log.warning(
        "authentication failed",
        extra={
            "client": sources[0].removeprefix("client:"),
            "path": request.url.path,
            "key_id": key_label(digest),
        },
    )
    limiter = _limiter(request)
    if limiter is not None:
        for source in sources:
            limiter.failed(source)
