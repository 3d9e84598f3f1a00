"""Long work on the event loop, done in slices, lets the rest of the loop in between."""

import asyncio

_BEHIND_WHAT_IS_DUE = 1e-6
"""A delay too short to wait out, so the resumption is a timer and not a ready callback."""


async def give_way() -> None:
    """Yield to the event loop, and resume only after every timer and I/O callback
    already due has run. ``asyncio.sleep(0)`` resumes the caller first instead: its
    wake-up is queued before the loop looks at the clock and the sockets again, and
    a due timer only queues its sleeper's step, behind the caller once more; so a
    sleeper that fell due during a slice waited out three (26-28 ms stalls with
    10 ms slices at 10M events; docs/benchmarks.md, fourth pass)."""
    await asyncio.sleep(_BEHIND_WHAT_IS_DUE)
