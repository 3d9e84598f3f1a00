"""Slices of work on the loop let a due timer in after one slice, not three."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from infra.turns import give_way

SLICE = 0.02


async def slices_done_before_a_sleeper_wakes(yield_: Callable[[], Awaitable[None]]) -> int:
    """Four busy slices with ``yield_`` between them, and a 1 ms sleeper started
    with them: how many slices ran before it woke."""
    done = 0
    woke_after: list[int] = []

    async def sleeper() -> None:
        await asyncio.sleep(0.001)
        woke_after.append(done)

    async def work() -> None:
        nonlocal done
        for _ in range(4):
            end = time.perf_counter() + SLICE
            while time.perf_counter() < end:  # a slice of folding, as the loop sees it
                pass
            done += 1
            await yield_()

    asleep = asyncio.create_task(sleeper())
    await asyncio.sleep(0)  # the sleeper's timer is set before the work starts
    await work()
    await asleep
    return woke_after[0]


@pytest.mark.asyncio
async def test_a_timer_due_during_a_slice_runs_before_the_next_slice() -> None:
    assert await slices_done_before_a_sleeper_wakes(give_way) == 1


@pytest.mark.asyncio
async def test_sleep_zero_would_have_made_it_wait_three_slices() -> None:
    """Why ``give_way`` exists (this test fails the day asyncio changes it): with
    ``sleep(0)`` the worker is queued before the due timer is looked at, and the
    timer's callback only queues the sleeper's next step, behind the worker again."""
    assert await slices_done_before_a_sleeper_wakes(lambda: asyncio.sleep(0)) == 3
