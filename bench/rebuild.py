"""Rebuild benchmark: fold a whole store into the joint picture, side by side with
a bare read-and-decode of the same events in the same run.

    python bench/rebuild.py                      # 1,000,000 events, 10,000 cases
    python bench/rebuild.py --cases 100 --events-per-case 50   # smoke run

Reports events/s for each (wall clock, and this process's CPU time, steadier on a
shared machine), the ratio, the time to evaluate every case's findings,
resident memory per case, and the replay of one 1,000-event case (fold + picture
+ HTML), median of several runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workload import case_events, workload

from events.records import RecordedEvent
from infra.sqlite.schema import decode
from infra.sqlite.store import SQLiteEventStore
from services.projection.casebook import CaseBook
from services.projection.domain.fold import collector_paused
from services.projection.domain.policy import RulePolicy
from services.projection.domain.rules import default_policy
from services.projection.replay import render_html
from services.projection.review import review_document


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def load(path: Path, cases: int, per_case: int) -> float:
    started = time.perf_counter()
    async with SQLiteEventStore(path) as store:
        for batch in workload(cases, per_case):
            for i in range(0, len(batch), 1000):
                await store.append(batch[i : i + 1000])
        await store.append(list(case_events("replay-case", 1000)))
    return time.perf_counter() - started


class Timer:
    """Wall and CPU seconds since start: on a shared machine the CPU time of this
    process is the steadier of the two (it leaves out time other processes took)."""

    def __init__(self) -> None:
        self.wall, self.cpu, self.kernel = time.perf_counter(), time.process_time(), _kernel()

    def stop(self) -> tuple[float, float, float]:
        """Wall, CPU, and of the CPU the kernel's share (page faults, mostly)."""
        return (
            time.perf_counter() - self.wall,
            time.process_time() - self.cpu,
            _kernel() - self.kernel,
        )


def _kernel() -> float:
    return os.times().system


def bare_decode(store: SQLiteEventStore) -> tuple[int, tuple[float, float, float]]:
    timer, count = Timer(), 0
    for body in store.iter_bodies_sync():
        decode(body)
        count += 1
    return count, timer.stop()


def rebuild(
    store: SQLiteEventStore, policy: RulePolicy
) -> tuple[CaseBook, int, tuple[float, float, float]]:
    timer = Timer()
    book = CaseBook(policy)
    with collector_paused():  # as the rebuild command does
        events = [decode(body) for body in store.iter_bodies_sync()]
        book.load(events)
    return book, len(events), timer.stop()


async def measure(args: argparse.Namespace) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.db"
        load_s = await load(path, args.cases, args.events_per_case)
        async with SQLiteEventStore(path) as store:
            policy = default_policy()
            count, bare_s = bare_decode(store)
            gc.collect()
            before = rss_mib()
            book, rebuilt, rebuild_s = rebuild(store, policy)
            gc.collect()
            after = rss_mib()
            now = datetime.now(UTC)
            started = time.perf_counter()
            findings = sum(len(book.findings(c, now)) for c in book.case_ids())
            evaluate_s = time.perf_counter() - started
            replay_events = await store.read_case("replay-case")
        replay_ms, html_ms = replay_times(replay_events, policy, now, args.repeat)
    assert rebuilt == count
    bare_rate, rebuild_rate = count / bare_s[0], count / rebuild_s[0]
    bare_cpu, rebuild_cpu = count / bare_s[1], count / rebuild_s[1]
    rows = [
        ("events in store", f"{count:,} in {len(book):,} cases (loaded in {load_s:.0f}s)"),
        ("bare read + decode", f"{bare_rate:,.0f} events/s (CPU time: {bare_cpu:,.0f})"),
        (
            "rebuild (read + decode + fold)",
            f"{rebuild_rate:,.0f} events/s (CPU time: {rebuild_cpu:,.0f}) (target ≥ 100,000)",
        ),
        (
            "rebuild / bare decode",
            f"{rebuild_rate / bare_rate:.0%} (CPU time: {rebuild_cpu / bare_cpu:.0%}) "
            "(target ≥ 40%)",
        ),
        (
            "kernel time (page faults of the memory kept)",
            f"rebuild {rebuild_s[2]:.1f}s, bare decode {bare_s[2]:.1f}s; "
            f"{1e6 * (rebuild_s[2] - bare_s[2]) / max((after - before) * 256, 1):.1f} µs "
            "per 4 KiB page kept",
        ),
        ("evaluate every case's findings", f"{evaluate_s:.2f}s ({findings:,} findings)"),
        (
            "resident memory per case",
            f"{(after - before) * 1024 / len(book):,.0f} KiB "
            f"({after - before:,.0f} MiB for {len(book):,} cases)",
        ),
        ("replay one 1,000-event case (fold+picture)", f"{replay_ms:.1f} ms (target < 100 ms)"),
        ("… and render it as HTML", f"{html_ms:.1f} ms"),
    ]
    head = (
        f"Rebuild benchmark — {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}"
    )
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"{head}\n\n| measure | result |\n|---|---|\n{table}\n"


def replay_times(
    events: list[RecordedEvent], policy: RulePolicy, now: datetime, repeat: int
) -> tuple[float, float]:
    folds, renders = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        doc = review_document(
            "replay-case", events, policy, at=now, recorded_by=None, generated_at=now
        )
        folds.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        render_html(doc)
        renders.append((time.perf_counter() - started) * 1000)
    return statistics.median(folds), statistics.median(renders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events-per-case", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    print(asyncio.run(measure(parser.parse_args())))


if __name__ == "__main__":
    main()
