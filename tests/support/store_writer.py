"""A process that appends to a SQLite event store until it is killed.

Prints each acknowledged event id on its own line as soon as ``append``
returns, so a crash test knows exactly what the store promised. Several tasks
append concurrently (exercising group commit); every third append is a batch
of three events under its own case id ``batch-<n>``, so a reader can check
batches are all-or-nothing.

Usage: ``python -m tests.support.store_writer <path> [tasks]``
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

from infra.sqlite.store import SQLiteEventStore
from tests.support.factories import make_submission

BATCH = 3


async def append_forever(store: SQLiteEventStore, task: int, counter: itertools.count[int]) -> None:
    while True:
        n = next(counter)
        if n % 3 == 0:
            subs = [make_submission(case_id=f"batch-{n}") for _ in range(BATCH)]
        else:
            subs = [make_submission(case_id=f"case-{task}")]
        result = await store.append(subs)
        sys.stdout.write("".join(f"{e.event_id}\n" for e in result.events))
        sys.stdout.flush()


async def main(path: Path, tasks: int) -> None:
    counter = itertools.count()
    async with SQLiteEventStore(path) as store:
        await asyncio.gather(*(append_forever(store, t, counter) for t in range(tasks)))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 8))
