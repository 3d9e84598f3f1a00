"""Ingest throughput, side by side (not a timed test; the lead runs real sizes).

(a) a bare FastAPI endpoint validating the same model, storing nothing;
(b) raw SQLite appends of the same rows, with the store's schema and durability
    PRAGMAs (WAL, synchronous=FULL), one insert+commit per event, and batched;
(c) Safeguard single-event POST at concurrency 32 (``safeguard serve`` subprocess,
    and with ``--police-alone`` the police service alone, ``safeguard run police``);
(d) Safeguard batch POST of 500 events.

Run tiny here, and the real sizes on a quiet machine::

    python -m bench.ingest --requests 200 --batches 4 --out bench-ingest.md
    python -m bench.ingest --requests 5000 --batches 200 --police-alone --rounds 3

``--stored N`` starts the police service alone on a store already holding N events
(10,000 cases), to see what a grown store costs (c) and (d).

Targets: (c) >= 50% of (a) req/s with durable commits; (d) >= 40,000 events/s.
"""

import argparse
import asyncio
import hashlib
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from bench.loadgen import post_all
from infra.sqlite.schema import SCHEMA
from infra.sqlite.store import SQLiteEventStore
from tests.support.factories import make_envelope, make_submission
from tests.support.ingest import KEYS, credentials_toml
from tests.support.server import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {"Authorization": f"Bearer {KEYS['police']}", "Content-Type": "application/json"}


@dataclass
class Result:
    name: str
    requests: int
    events: int
    seconds: float
    latencies: list[float]

    @property
    def req_per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- load generation ---------------------------------------------------------------


def bodies(count: int, per_request: int) -> list[bytes]:
    """Pre-encoded bodies with fresh ids, so the client spends no time on JSON."""

    def one(i: int) -> bytes:
        events = [
            make_envelope(case_id=f"case-{(i * per_request + j) % 1000}")
            for j in range(per_request)
        ]
        return orjson.dumps({"events": events} if per_request > 1 else events[0])

    return [one(i) for i in range(count)]


async def _drive(
    url: str, payloads: list[bytes], concurrency: int
) -> tuple[list[float], float, float]:
    return await post_all(url, "/police/events", payloads, concurrency=concurrency, headers=HEADERS)


def _drive_sync(args: tuple[str, list[bytes], int]) -> tuple[list[float], float, float]:
    return asyncio.run(_drive(*args))


def load(
    name: str, url: str, payloads: list[bytes], *, concurrency: int, procs: int, per_request: int
) -> Result:
    """Split the payloads over ``procs`` client processes, ``concurrency`` in total.
    Spawned, not forked: a forked client would carry this process's heap (a
    million generated events for ``--stored``) and its collector would walk it."""
    shares = [payloads[i::procs] for i in range(procs)]
    per_proc = max(1, concurrency // procs)
    with ProcessPoolExecutor(procs, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_drive_sync, [(url, share, per_proc) for share in shares]))
    latencies = [x for part in parts for x in part[0]]
    seconds = max(p[2] for p in parts) - min(p[1] for p in parts)
    return Result(name, len(payloads), len(payloads) * per_request, seconds, latencies)


# --- servers ---------------------------------------------------------------------------


def start(
    cmd: Sequence[str], port: int, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        list(cmd),
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd} exited with {proc.returncode}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(up, timeout=30, what=" ".join(cmd))
    return proc


def bare_server(port: int) -> subprocess.Popen[bytes]:
    return start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.ingest_bare:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        port,
    )


def safeguard_server(
    port: int, data_dir: Path, log_level: str, *, alone: bool = False
) -> subprocess.Popen[bytes]:
    """``safeguard serve`` (the whole embedded stack: ingest, projection and
    notifier), or with ``alone`` ``safeguard run police`` (ingest only)."""
    config = data_dir / "safeguard.toml"
    config.write_text(credentials_toml())
    command = ["run", "police"] if alone else ["serve", "--data-dir", str(data_dir)]
    return start(
        [
            sys.executable,
            "-m",
            "services.cli.main",
            *command,
            "--config",
            str(config),
            "--port",
            str(port),
        ],
        port,
        env={"SAFEGUARD_LOG_LEVEL": log_level, "SAFEGUARD_DATA_DIR": str(data_dir)},
    )


def with_server(proc: subprocess.Popen[bytes], run: Callable[[], Result]) -> Result:
    try:
        return run()
    finally:
        proc.kill()
        proc.wait()


async def fill(path: Path, events: int) -> None:
    """A store holding ``events`` events across 10,000 cases, written in batches,
    all of it in the one file (checkpointed) so that a copy of it is whole."""
    async with SQLiteEventStore(path) as store:
        for start_at in range(0, events, 1_000):
            await store.append(
                [
                    make_submission(case_id=f"case-{(start_at + i) % 10_000}")
                    for i in range(min(1_000, events - start_at))
                ]
            )
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


# --- raw SQLite ------------------------------------------------------------------------


def raw_sqlite(path: Path, events: int, batch: int) -> Result:
    """The same rows Safeguard stores (random event ids, 1,000 cases, the store's
    schema and durability PRAGMAs), inserted with no Python around them: the floor
    under (c) and (d). They go into the log table, as the store's commits do; the
    store also merges them into its index tables in bulk (``sqlite_index``),
    which this baseline does not, so (d)/(b) charges the merges to Safeguard."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(SCHEMA)
    envelopes = [make_envelope(case_id=f"case-{i % 1000}") for i in range(events)]
    versions: dict[str, int] = {}
    rows = []
    for position, envelope in enumerate(envelopes, start=1):
        case_id = envelope["case_id"]
        versions[case_id] = versions.get(case_id, 0) + 1
        body = orjson.dumps(envelope)
        digest = hashlib.sha256(body).hexdigest()
        rows.append(
            (
                position,
                envelope["event_id"],
                case_id,
                versions[case_id],
                envelope["type"],
                "police",
                envelope["occurred_at"],
                "2024-03-01T21:30:00+00:00",
                digest,
                body,
                digest,
            )
        )
    insert = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    latencies: list[float] = []
    began = time.perf_counter()
    for start_at in range(0, events, batch):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert, rows[start_at : start_at + batch])
        conn.execute("COMMIT")
        latencies.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - began
    conn.close()
    label = "one insert+commit per event" if batch == 1 else f"{batch} inserts per commit"
    return Result(f"(b) raw SQLite, {label}", len(latencies), events, seconds, latencies)


# --- report ----------------------------------------------------------------------------


@dataclass
class Round:
    """One pass over every scenario, in order; rounds are interleaved so a slow
    spell of a shared machine lands on all of them, not on one."""

    bare: Result
    raw_one: Result
    raw_batch: Result
    single: Result
    batch: Result
    alone: tuple[Result, Result] | None

    def results(self) -> list[Result]:
        alone = list(self.alone or ())
        return [self.bare, self.raw_one, self.raw_batch, self.single, self.batch, *alone]


def table(rounds: list[Round]) -> str:
    lines = [
        "| scenario | requests | events | req/s | events/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for k, one in enumerate(rounds, start=1):
        tag = f" [round {k}]" if len(rounds) > 1 else ""
        for r in one.results():
            lines.append(
                f"| {r.name}{tag} | {r.requests} | {r.events} | {r.req_per_s:,.0f} | "
                f"{r.events_per_s:,.0f} | {r.pct(0.5):.2f} | {r.pct(0.99):.2f} |"
            )
    lines += [
        "",
        "| round | (c)/(a) | (c)/(a) police alone | (d) events/s | (d) police alone |"
        " (d)/(b) batched | (d)/(b) police alone |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for k, one in enumerate(rounds, start=1):
        alone_single, alone_batch = one.alone or (None, None)
        lines.append(
            f"| {k} | {one.single.req_per_s / one.bare.req_per_s:.0%} | "
            f"{_ratio(alone_single, one.bare)} | {one.batch.events_per_s:,.0f} | "
            f"{f'{alone_batch.events_per_s:,.0f}' if alone_batch else '—'} | "
            f"{one.batch.events_per_s / one.raw_batch.events_per_s:.0%} | "
            f"{_ratio(alone_batch, one.raw_batch, events=True)} |"
        )
    lines += [
        "",
        "Targets: (c) >= 50% of (a) with durable commits; (d) >= 40,000 events/s.",
    ]
    return "\n".join(lines) + "\n"


def _ratio(part: Result | None, whole: Result, *, events: bool = False) -> str:
    if part is None:
        return "—"
    if events:
        return f"{part.events_per_s / whole.events_per_s:.0%}"
    return f"{part.req_per_s / whole.req_per_s:.0%}"


def bare_run(args: argparse.Namespace, singles: list[bytes]) -> Result:
    port = free_port()
    return with_server(
        bare_server(port),
        lambda: load(
            "(a) bare FastAPI, validate only",
            f"http://127.0.0.1:{port}",
            singles,
            concurrency=args.concurrency,
            procs=args.client_procs,
            per_request=1,
        ),
    )


def safeguard_runs(
    args: argparse.Namespace,
    data: Path,
    singles: list[bytes],
    batches: list[bytes],
    *,
    alone: bool = False,
    stored: Path | None = None,
) -> tuple[Result, Result]:
    """(c) then (d) against one fresh server; fresh bodies are not needed since
    each server has its own store: empty, or a copy of ``stored``."""
    data.mkdir()
    if stored is not None:
        shutil.copy(stored, data / "events.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    suffix = " (police alone)" if alone else ""
    proc = safeguard_server(port, data, args.log_level, alone=alone)
    try:
        single = load(
            f"(c) Safeguard POST, 1 event, concurrency {args.concurrency}{suffix}",
            url,
            singles,
            concurrency=args.concurrency,
            procs=args.client_procs,
            per_request=1,
        )
        batch = load(
            f"(d) Safeguard POST, batch of {args.batch_size}{suffix}",
            url,
            batches,
            concurrency=args.batch_concurrency,
            procs=args.client_procs,
            per_request=args.batch_size,
        )
    finally:
        proc.kill()
        proc.wait()
    return single, batch


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2_000, help="single-event POSTs")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batches", type=int, default=100, help="batch POSTs in (d)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--batch-concurrency", type=int, default=4)
    parser.add_argument("--client-procs", type=int, default=1)
    parser.add_argument("--log-level", default="INFO", help="Safeguard's log level")
    parser.add_argument(
        "--police-alone",
        action="store_true",
        help="also run (c) and (d) against `safeguard run police` (ingest without projection)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat every scenario, interleaved, this often"
    )
    parser.add_argument(
        "--stored", type=int, default=0, help="events already in the police-alone store"
    )
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args(argv)

    singles = bodies(args.requests, 1)
    batches = bodies(args.batches, args.batch_size)
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        stored = None
        if args.stored:
            stored = Path(tmp) / "stored.db"
            asyncio.run(fill(stored, args.stored))
        for k in range(args.rounds):
            work = Path(tmp) / f"round-{k}"
            work.mkdir()
            bare = bare_run(args, singles)
            raw_one = raw_sqlite(work / "raw1.db", min(args.requests, 2_000), 1)
            raw_many = raw_sqlite(work / "raw2.db", args.batches * args.batch_size, args.batch_size)
            single, batch = safeguard_runs(args, work / "serve", singles, batches)
            alone = None
            if args.police_alone:
                alone = safeguard_runs(
                    args, work / "alone", singles, batches, alone=True, stored=stored
                )
            rounds.append(Round(bare, raw_one, raw_many, single, batch, alone))
    report = table(rounds)
    print(report)
    if args.out:
        args.out.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
