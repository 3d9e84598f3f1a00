"""The failed-auth limiter on a hand-moved clock."""

from services.http.ratelimit import FailedAuthLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_is_limited_after_its_tenth_failure_until_the_first_ages_out() -> None:
    clock = Clock()
    limiter = FailedAuthLimiter(10, clock=clock)
    for _ in range(9):
        limiter.failed("10.0.0.1")
        clock.now += 1
    assert limiter.retry_after("10.0.0.1") is None

    limiter.failed("10.0.0.1")

    assert limiter.retry_after("10.0.0.1") == 51
    assert limiter.retry_after("10.0.0.2") is None
    clock.now += 51
    assert limiter.retry_after("10.0.0.1") is None


def test_memory_stays_bounded_by_forgetting_the_stalest_address() -> None:
    limiter = FailedAuthLimiter(1, clock=Clock(), max_sources=3)
    for source in ("a", "b", "c", "d"):
        limiter.failed(source)

    assert limiter.retry_after("a") is None
    assert limiter.retry_after("d") == 60
