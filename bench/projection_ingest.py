"""Live ingest of a store-fed projection: a fresh read model catching up a store
of generated events through the feed. Measures events/s up to the last event
folded, the longest event-loop stall meanwhile (a 5 ms ticker), and how long the
stop (the last snapshot write) takes. Uses only ``running_projection``, so the
same file measures older code for a before/after::

    python -m bench.projection_ingest --cases 1000 --events-per-case 100
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.workload import workload
from infra.config import Settings
from infra.sqlite.store import SQLiteEventStore
from services.projection.bootstrap import running_projection

TICK = 0.005


async def watch_stalls(worst: list[float]) -> None:
    while True:
        before = time.perf_counter()
        await asyncio.sleep(TICK)
        worst[0] = max(worst[0], time.perf_counter() - before - TICK)


async def measure(cases: int, per_case: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.db"
        async with SQLiteEventStore(path) as store:
            for batch in workload(cases, per_case):
                await store.append(batch)
            head = await store.head_position()
            worst = [0.0]
            started = time.perf_counter()
            settings = Settings(data_dir=Path(tmp) / "data")
            async with running_projection(settings, store=store) as projection:
                watcher = asyncio.create_task(watch_stalls(worst))
                await projection.wait_for(head)
                seconds = time.perf_counter() - started
                watcher.cancel()
                stopping = time.perf_counter()
            stop_s = time.perf_counter() - stopping
    return (
        f"{head:,} events in {cases:,} cases: {head / seconds:,.0f} events/s, "
        f"worst loop stall {worst[0] * 1000:.0f} ms, stop {stop_s:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--events-per-case", type=int, default=100)
    args = parser.parse_args()
    print(asyncio.run(measure(args.cases, args.events_per_case)))


if __name__ == "__main__":
    main()
