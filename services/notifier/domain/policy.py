"""What to do after a delivery attempt: done, retry when, or give up.

Retry on no response, 408, 429 and 5xx; ``410 Gone`` disables the subscription;
any other non-2xx fails for good (the receiver rejected it; retrying will not
help and an operator must look).
"""

import email.utils
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Verdict = Literal["delivered", "retry", "failed", "gone"]
_RETRYABLE = {408, 425, 429}


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    next_attempt_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Delays as values: the settings' strings are parsed in the composition root."""

    schedule: Sequence[timedelta]
    horizon: timedelta
    jitter: float = 0.1

    def delay_after(self, attempt: int, rng: random.Random) -> timedelta:
        """Delay after failed attempt ``attempt`` (1-based); the last one repeats."""
        base = self.schedule[min(attempt, len(self.schedule)) - 1]
        return base * (1 + rng.uniform(0, self.jitter))


def decide(
    status_code: int | None,
    *,
    attempt: int,
    now: datetime,
    created_at: datetime,
    policy: RetryPolicy,
    rng: random.Random,
    retry_after: str | None = None,
) -> Decision:
    if status_code is not None and 200 <= status_code < 300:
        return Decision("delivered")
    if status_code == 410:
        return Decision("gone", reason="receiver answered 410 Gone: subscription disabled")
    if status_code is not None and not _retryable(status_code):
        return Decision("failed", reason=f"receiver rejected the alert with HTTP {status_code}")
    delay = policy.delay_after(attempt, rng)
    waited = parse_retry_after(retry_after, now)
    if waited is not None:
        delay = max(delay, waited)
    at = now + delay
    if at > created_at + policy.horizon:
        return Decision("failed", reason=f"gave up after {attempt} attempts (retry horizon)")
    return Decision("retry", next_attempt_at=at)


def _retryable(status_code: int) -> bool:
    return status_code in _RETRYABLE or status_code >= 500


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as delta-seconds or an HTTP date; None if absent or invalid."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(when - now, timedelta(0)) if when.tzinfo else None
