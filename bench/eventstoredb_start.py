"""Start-up time and memory of EventStoreDBEventStore on a large log (fake driver).

No KurrentDB runs here, so the log is ``FakeKurrentDB``'s in-memory ``$all``
(``tests/support/fake_kurrentdb.py``): the numbers are the adapter's own work
and memory, not a server's I/O. Run::

    python -m bench.eventstoredb_start --events 100000 1000000

For each size: the first start on a log without rank checkpoints (one scan of
``$all``, writing the checkpoints), then a restart (reads the checkpoints and
the tail), and the bytes the adapter still holds after ``start`` (tracemalloc,
measured in a separate start so tracing does not distort the times).
"""

import argparse
import asyncio
import time
import tracemalloc
import uuid
from datetime import UTC, datetime
from typing import cast

import orjson
from kurrentdbclient import AsyncKurrentDBClient, NewEvent

from infra.eventstoredb import EventStoreDBEventStore
from tests.support.fake_kurrentdb import FakeKurrentDB, FakeLog

BATCH = 10


def fill(log: FakeLog, events: int) -> None:
    """``events`` case events in appends of ``BATCH``, written straight into the log."""
    recorded_at = datetime(2024, 3, 1, tzinfo=UTC).isoformat()
    for first in range(0, events, BATCH):
        records = []
        for i in range(first, min(first + BATCH, events)):
            event_id = uuid.uuid4()
            envelope = {"event_id": str(event_id), "case_id": f"c{i % 10_000}", "type": "x"}
            data = {"envelope": envelope, "agency": "police", "recorded_at": recorded_at}
            new = NewEvent(type="x", data=orjson.dumps(data), id=event_id)
            records.append((f"case-c{i % 10_000}", new))
        log.commit(records)


async def start(log: FakeLog, *, traced: bool = False) -> tuple[float, int, int]:
    """Seconds to start, bytes held after start, head."""
    client = cast(AsyncKurrentDBClient, FakeKurrentDB(log))
    store = EventStoreDBEventStore("esdb://fake", client=client)
    if traced:
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
    began = time.perf_counter()
    await store.start()
    seconds = time.perf_counter() - began
    held = 0
    if traced:
        after = tracemalloc.take_snapshot()
        held = sum(s.size_diff for s in after.compare_to(before, "filename"))
        tracemalloc.stop()
    head = await store.head_position()
    await store.close()
    return seconds, held, head


async def main(sizes: list[int]) -> None:
    for size in sizes:
        log = FakeLog()
        fill(log, size)
        first, _, head = await start(log)
        again, _, _ = await start(log)
        _, held, _ = await start(log, traced=True)
        print(
            f"{size:>9} events (head {head}): first start {first:6.2f} s, "
            f"restart {again * 1000:7.1f} ms, held after start {held / 1e6:7.2f} MB"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[100_000])
    asyncio.run(main(parser.parse_args().events))
