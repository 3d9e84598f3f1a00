"""Scale benchmark: the projection's read model at two store sizes, side by side.

For each store (generate them with ``python -m bench.scale generate``), two
fresh processes, so one's memory does not colour the other's:

* ``rebuild``: stream the whole store into a new read model (events/s, peak RSS);
* ``restart``: start on that model (time to ready, timers armed), then, live,
  touch up to 12,000 of the store's cases, never more than it has, so that
  each cache ends full of whole cases (RSS with a full cache), post an event
  whose deadline falls due while its case is evicted (how late it fires), and
  page ``/findings?status=open`` through the service as the endpoint does
  (p50/p99); a 5 ms ticker records the longest event-loop stall throughout.

    python -m bench.scale generate /data/store-1m.db --cases 10000 --events-per-case 100
    python -m bench.scale run /data/store-1m.db /data/store-10m.db

``restart`` appends its live events to the store it is given (about 1.2 times
the cache size in events, negligible beside millions; rerunning it on the same file
is harmless).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.workload import workload
from events import Submission
from events.findings import Finding
from infra.config import Settings
from infra.sqlite.readmodel import stamp
from infra.sqlite.store import SQLiteEventStore
from services.projection.bootstrap import open_read_model, running_projection
from services.projection.domain.rules import policy_from_settings
from services.projection.rebuild import rebuild

TICK = 0.005
DUE_IN = 120
"""Seconds from posting the deadline's event to its due time: room to evict its case."""


def _status(field: str) -> float:
    """A ``/proc/self/status`` field in MiB (VmRSS now, VmHWM the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class StallWatch:
    """The longest time the event loop failed to wake a 5 ms sleeper on time."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, time.perf_counter() - before - TICK)

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst * 1000


class Arrivals:
    """A finding sink noting when each finding first arrived."""

    def __init__(self) -> None:
        self.at: dict[str, tuple[float, Finding]] = {}
        self.changed = asyncio.Event()

    async def on_findings(self, findings: Sequence[Finding]) -> None:
        now = time.time()
        for finding in findings:
            self.at.setdefault(finding.finding_id, (now, finding))
        self.changed.set()


def _event(case_id: str, agency: str, type_: str, at: datetime, data: dict[str, Any]) -> Submission:
    envelope = {
        "event_id": str(uuid.uuid4()),
        "case_id": case_id,
        "type": type_,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "children": [],
        "actor": {"role": "officer"},
        "data": data,
    }
    return Submission(envelope=envelope, agency=agency)


def _touch(case_id: str) -> Submission:
    """A harmless event: the household recorded again, as it stands."""
    data = {
        "children": ["child-a", "baby-b"],
        "adults": [{"person": "mother", "relationship": "mother"}],
    }
    return _event(case_id, "edt", "household.recorded", datetime.now(UTC), data)


async def _touch_cases(store: SQLiteEventStore, case_ids: list[str]) -> int:
    """A hundred at a time: these stand in for agency services' posts, made in
    processes of their own, and a thousand drafted at once held this loop 80 ms."""
    for start in range(0, len(case_ids), 100):
        await store.append([_touch(case_id) for case_id in case_ids[start : start + 100]])
    return await store.head_position()


async def measure_rebuild(store_path: Path, model_path: Path) -> dict[str, Any]:
    settings = Settings(data_dir=model_path.parent)
    policy = policy_from_settings(settings.rules)
    model = open_read_model(model_path, policy, keep_events=False)
    async with SQLiteEventStore(store_path) as store:
        report = await rebuild(
            store,
            model,
            policy,
            now=datetime.now(UTC),
            timer=time.perf_counter,
            capacity=settings.projection.cache_cases,
            workers=settings.projection.rebuild_workers,
        )
    settle(model_path)
    model.close()
    return {
        "events": report.events,
        "cases": report.cases,
        "open_findings": report.open_findings,
        "rebuild_s": report.seconds,
        "rebuild_rate": report.events / report.seconds,
        "rebuild_peak_rss_mib": max(_status("VmHWM"), _children_peak_mib()),
    }


def _children_peak_mib() -> float:
    """The largest peak RSS of the rebuild's processes (``projection.rebuild_workers``)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def settle(model_path: Path) -> None:
    """Leave the model as a running projection leaves it once it has announced
    everything: each finding's status recorded as announced, and no deadline row
    already past (every deadline of the generated cases fell in 2025). A rebuild
    into a new file makes every case with findings due at once instead, so that
    the service announces them: a one-off cost, not what a restart meets."""
    with sqlite3.connect(model_path) as db:
        db.execute("UPDATE findings SET announced = status WHERE status IS NOT NULL")
        db.execute("DELETE FROM deadlines WHERE due <= ?", (stamp(datetime.now(UTC)),))


async def measure_restart(store_path: Path, model_path: Path, touch: int) -> dict[str, Any]:
    settings = Settings(data_dir=model_path.parent)
    cache = settings.projection.cache_cases
    stalls, arrivals, result = StallWatch(), Arrivals(), {}
    stalls.start()
    async with SQLiteEventStore(store_path) as store:
        cases = [f"case-{i:06d}" for i in range(touch + cache)]
        started = time.perf_counter()
        async with running_projection(
            settings, store=store, read_model=model_path, sinks=[arrivals]
        ) as projection:
            result["restart_to_ready_s"] = time.perf_counter() - started
            result["ready_rss_mib"] = _status("VmRSS")
            result["start_stall_ms"] = stalls.take()

            # Live: more cases than the cache holds, each loaded from its snapshot.
            started = time.perf_counter()
            head = await _touch_cases(store, cases[:touch])
            await projection.wait_for(head)
            result["live_touch_rate"] = touch / (time.perf_counter() - started)
            result["full_cache_rss_mib"] = _status("VmRSS")

            # A deadline in a case then pushed out of the cache before it falls due.
            target = cases[0]
            due = datetime.now(UTC) + timedelta(seconds=DUE_IN)
            disclosure = _event(
                target,
                "police",
                "disclosure.made",
                due - timedelta(hours=1),
                {
                    "child": "child-a",
                    "alleged_perpetrator": "partner",
                    "made_to": "attending officer",
                    "summary": "Said the partner pushed him.",
                },
            )
            disclosure_id = disclosure.envelope["event_id"]
            await store.append([disclosure])
            head = await _touch_cases(store, cases[touch : touch + cache])
            await projection.wait_for(head)
            result["target_cached_at_due"] = target in projection.cases
            result["evicted_in_time"] = datetime.now(UTC) < due
            while True:
                fired = [
                    at
                    for at, finding in arrivals.at.values()
                    if disclosure_id in finding.trigger_event_ids
                    and finding.rule == "not-shared"
                    and finding.status == "open"
                ]
                if fired:
                    break
                arrivals.changed.clear()
                await asyncio.wait_for(arrivals.changed.wait(), due.timestamp() - time.time() + 30)
            result["uncached_deadline_late_s"] = min(fired) - due.timestamp()
            result["live_stall_ms"] = stalls.take()

            # /findings?status=open, page after page and first pages, as the endpoint runs it.
            timings: list[float] = []
            after = None
            for call in range(300):
                started = time.perf_counter()
                page, _ = await projection.findings_page(
                    limit=100, after=after, agency=None, status="open"
                )
                timings.append((time.perf_counter() - started) * 1000)
                after = page.next if call % 3 else None  # two of three go deeper
            timings.sort()
            result["findings_open_p50_ms"] = statistics.median(timings)
            result["findings_open_p99_ms"] = timings[int(len(timings) * 0.99) - 1]
            started = time.perf_counter()
            counts = await asyncio.to_thread(projection._model.open_counts)  # what /metrics reports
            result["open_count_s"] = time.perf_counter() - started
            result["open_findings"] = sum(counts.values())
            result["query_stall_ms"] = stalls.take()
        result["stop_stall_ms"] = stalls.take()  # the last snapshots written, the model closed
    return result


def run_one(mode: str, store: Path, model: Path, touch: int) -> dict[str, Any]:
    """A fresh interpreter per measurement: its memory is its own."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.scale", "_one", mode, str(store), str(model), str(touch)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


ROWS = [
    ("events in store", "events", "{:,}"),
    ("cases", "cases", "{:,}"),
    ("rebuild, events/s", "rebuild_rate", "{:,.0f}"),
    ("rebuild, peak RSS (MiB)", "rebuild_peak_rss_mib", "{:,.0f}"),
    ("restart to ready, timers armed (s)", "restart_to_ready_s", "{:.2f}"),
    ("RSS when ready (MiB)", "ready_rss_mib", "{:,.0f}"),
    ("cases touched live (the cache holds 10,000)", "touched", "{:,}"),
    ("RSS with a full cache (MiB)", "full_cache_rss_mib", "{:,.0f}"),
    ("live, cases loaded from snapshots per s", "live_touch_rate", "{:,.0f}"),
    ("deadline in an uncached case fired after due (s)", "uncached_deadline_late_s", "{:.2f}"),
    ("…its case was cached at due", "target_cached_at_due", "{}"),
    ("…and evicted before due", "evicted_in_time", "{}"),
    ("open findings", "open_findings", "{:,}"),
    ("counting them for the gauge (s)", "open_count_s", "{:.2f}"),
    ("/findings?status=open p50 (ms)", "findings_open_p50_ms", "{:.1f}"),
    ("/findings?status=open p99 (ms)", "findings_open_p99_ms", "{:.1f}"),
    ("longest loop stall: start (ms)", "start_stall_ms", "{:.0f}"),
    ("longest loop stall: live (ms)", "live_stall_ms", "{:.0f}"),
    ("longest loop stall: queries (ms)", "query_stall_ms", "{:.0f}"),
    ("longest loop stall: stop (ms)", "stop_stall_ms", "{:.0f}"),
]


def table(results: list[tuple[str, dict[str, Any]]]) -> str:
    names = [name for name, _ in results]
    head = f"| measure | {' | '.join(names)} | last / first |\n|---|{'---:|' * (len(names) + 1)}"
    lines = [head]
    for label, key, form in ROWS:
        values = [result.get(key) for _, result in results]
        cells = ["—" if v is None else form.format(v) for v in values]
        first, last = values[0], values[-1]
        ratio = (
            f"{last / first:.2f}"
            if isinstance(first, int | float) and not isinstance(first, bool) and first
            else ""
        )
        lines.append(f"| {label} | {' | '.join(cells)} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write a store of generated cases")
    gen.add_argument("store", type=Path)
    gen.add_argument("--cases", type=int, default=10_000)
    gen.add_argument("--events-per-case", type=int, default=100)
    run = sub.add_parser("run", help="rebuild and restart on each store, side by side")
    run.add_argument("stores", type=Path, nargs="+")
    run.add_argument("--touch", type=int, default=12_000, help="cases touched live")
    one = sub.add_parser("_one")
    one.add_argument("mode", choices=["rebuild", "restart"])
    one.add_argument("store", type=Path)
    one.add_argument("model", type=Path)
    one.add_argument("touch", type=int)
    args = parser.parse_args()
    if args.command == "generate":
        asyncio.run(generate(args.store, args.cases, args.events_per_case))
    elif args.command == "_one":
        measure = (
            measure_rebuild(args.store, args.model)
            if args.mode == "rebuild"
            else measure_restart(args.store, args.model, args.touch)
        )
        print(json.dumps(asyncio.run(measure)))
    else:
        results = []
        for store in args.stores:
            with tempfile.TemporaryDirectory() as tmp:
                model = Path(tmp) / "projection.db"
                result = run_one("rebuild", store, model, args.touch)
                # never more than the store has: a case it lacks is loaded as a new,
                # near-empty one, and the caches compared would not hold alike cases
                touch = min(args.touch, result["cases"])
                result |= run_one("restart", store, model, touch) | {"touched": touch}
            results.append((store.name, result))
            print(json.dumps(result), file=sys.stderr)
        print(
            f"Scale benchmark — {platform.machine()}, Python {platform.python_version()}, "
            f"{datetime.now(UTC):%Y-%m-%d}\n\n{table(results)}"
        )


async def generate(path: Path, cases: int, per_case: int) -> None:
    async with SQLiteEventStore(path) as store:
        for batch in workload(cases, per_case):
            for start in range(0, len(batch), 1000):
                await store.append(batch[start : start + 1000])


if __name__ == "__main__":
    main()
