"""What happens after an attempt: retry, honour Retry-After, give up, disable."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.domain.policy import RetryPolicy, decide, parse_retry_after

NOW = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
POLICY = RetryPolicy(
    (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30)), timedelta(hours=24), 0
)


def after(status: int | None, attempt: int = 1, created: datetime = NOW, **kw: object):  # type: ignore[no-untyped-def]
    return decide(
        status,
        attempt=attempt,
        now=NOW,
        created_at=created,
        policy=POLICY,
        rng=random.Random(1),
        **kw,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_delivered(status: int) -> None:
    assert after(status).verdict == "delivered"


@pytest.mark.parametrize("status", [None, 408, 429, 500, 502, 503, 504])
def test_no_response_timeouts_429_and_5xx_are_retried_on_schedule(status: int | None) -> None:
    decision = after(status, attempt=2)
    assert decision.verdict == "retry" and decision.next_attempt_at == NOW + timedelta(minutes=5)


def test_the_last_delay_repeats_until_the_horizon() -> None:
    assert after(503, attempt=9).next_attempt_at == NOW + timedelta(minutes=30)
    gave_up = after(503, attempt=9, created=NOW - timedelta(hours=23, minutes=45))
    assert gave_up.verdict == "failed" and "horizon" in (gave_up.reason or "")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 301])
def test_other_client_errors_fail_permanently(status: int) -> None:
    assert after(status).verdict == "failed"


def test_410_gone_disables_the_subscription() -> None:
    assert after(410).verdict == "gone"


def test_retry_after_seconds_is_honoured_when_longer_than_the_schedule() -> None:
    assert after(429, retry_after="120").next_attempt_at == NOW + timedelta(seconds=120)
    assert after(429, retry_after="1").next_attempt_at == NOW + timedelta(seconds=5)


def test_retry_after_http_date_is_honoured() -> None:
    assert parse_retry_after("Thu, 01 Jan 2026 03:10:00 GMT", NOW) == timedelta(minutes=10)
    assert parse_retry_after("soon", NOW) is None


def test_jitter_only_ever_lengthens_a_delay_by_up_to_its_fraction() -> None:
    policy = RetryPolicy((timedelta(seconds=10),), timedelta(hours=24), jitter=0.1)
    delays = {policy.delay_after(1, random.Random(seed)) for seed in range(50)}
    assert all(timedelta(seconds=10) <= d <= timedelta(seconds=11) for d in delays)
    assert len(delays) > 1
