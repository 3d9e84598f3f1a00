"""Append and read throughput of SQLiteEventStore (group commit vs one-by-one).

Run small here; the lead runs the real sizes::

    python -m bench.store_append --events 2000 --concurrency 1 32 --batch 1 10

Reports appends/s and events/s per (concurrency, batch), then full-scan read
speed through ``read_raw``/``read_all`` and ``iter_bodies_sync``, then what the
log layout costs a reader: ``get`` of an event in the merged index and of one at
the end of a full tail (``MERGE_AT`` - 500 unmerged events, the longest scan).
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from events.records import Submission
from infra.sqlite import index as sqlite_index
from infra.sqlite.schema import decode
from infra.sqlite.store import SQLiteEventStore
from tests.support.factories import make_submission


def submissions(n: int) -> list[Submission]:
    return [make_submission(case_id=f"case-{i % 500}") for i in range(n)]


async def append_run(path: Path, events: int, concurrency: int, batch: int) -> float:
    subs = submissions(events)
    chunks = [subs[i : i + batch] for i in range(0, events, batch)]
    queue: asyncio.Queue[list[Submission]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)

    async def worker(store: SQLiteEventStore) -> None:
        while not queue.empty():
            await store.append(queue.get_nowait())

    async with SQLiteEventStore(path) as store:
        start = time.perf_counter()
        await asyncio.gather(*(worker(store) for _ in range(concurrency)))
        return time.perf_counter() - start


async def read_run(path: Path) -> tuple[float, float, int]:
    async with SQLiteEventStore(path) as store:
        start = time.perf_counter()
        position, count = 1, 0
        while page := await store.read_all(position, 5_000):
            position, count = page[-1].position + 1, count + len(page)
        paged = time.perf_counter() - start
        start = time.perf_counter()
        synced = sum(1 for body in store.iter_bodies_sync() if decode(body))
        assert synced == count
        return paged, time.perf_counter() - start, count


async def lookup_run(path: Path) -> dict[str, float]:
    """Median milliseconds of ``get`` and ``read_case``, merged against a full tail."""
    sqlite_index.IDLE_MERGE_SECONDS = 3_600.0  # keep the tail for the measurement
    subs = submissions(2 * sqlite_index.MERGE_AT - 500)
    async with SQLiteEventStore(path) as store:
        for i in range(0, len(subs), 500):
            await store.append(subs[i : i + 500])
        merged, tail = subs[:200], subs[-200:]
        return {
            "get, merged": await _median_ms([store.get(s.event_id) for s in merged]),
            "get, end of a full tail": await _median_ms([store.get(s.event_id) for s in tail]),
            "read_case (~80 events)": await _median_ms(
                [store.read_case(s.case_id) for s in merged]
            ),
        }


async def _median_ms(calls: list[Coroutine[Any, Any, object]]) -> float:
    took = []
    for call in calls:
        start = time.perf_counter()
        assert await call
        took.append(time.perf_counter() - start)
    return statistics.median(took) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for c in args.concurrency:
            for b in args.batch:
                path = Path(tmp) / f"c{c}-b{b}.db"
                took = asyncio.run(append_run(path, args.events, c, b))
                rate = args.events / took
                print(f"concurrency={c:4} batch={b:4}: {rate / b:9.0f} appends/s {rate:9.0f} ev/s")
        paged, synced, n = asyncio.run(read_run(path))
        print(f"read {n}: read_all {n / paged:9.0f} ev/s, sync bodies {n / synced:9.0f} ev/s")
        for name, ms in asyncio.run(lookup_run(Path(tmp) / "lookups.db")).items():
            print(f"{name}: {ms:.3f} ms (median)")


if __name__ == "__main__":
    main()
