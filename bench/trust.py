"""What tamper evidence and the read audit cost: throughput with them on, as a
ratio of the same run with them off (``trust.hash_chain``, ``trust.audit_reads``).

(a) store appends in process (batches), chain on vs off: the chain alone;
(b) single-event POSTs to ``safeguard serve`` at a fixed concurrency: the chain
    inside the whole ingest path (POSTs are not audited);
(c) GET /police/events/{id} at the same concurrency: the durable audit write
    every read waits for (reads do not touch the chain).

Run tiny here (two shared cores)::

    python -m bench.trust --events 2000 --requests 300 --concurrency 8
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from bench.loadgen import Call, request_all
from infra.sqlite.store import SQLiteEventStore
from tests.support.factories import make_envelope, make_submission
from tests.support.ingest import KEYS, credentials_toml
from tests.support.server import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {"Authorization": f"Bearer {KEYS['police']}"}


async def store_rate(path: Path, *, chain: bool, events: int, batch: int = 100) -> float:
    """Events per second appended in batches."""
    subs = [make_submission(case_id=f"case-{i % 50}") for i in range(events)]
    async with SQLiteEventStore(path, hash_chain=chain) as store:
        started = time.perf_counter()
        for i in range(0, events, batch):
            await store.append(subs[i : i + batch])
        return events / (time.perf_counter() - started)


class Server:
    """``safeguard serve`` with the trust switches set, in its own data dir."""

    def __init__(self, data_dir: Path, *, on: bool) -> None:
        flag = "true" if on else "false"
        self.config = data_dir / "safeguard.toml"
        self.config.write_text(
            f'data_dir = "{data_dir}"\n\n{credentials_toml()}\n'
            f"[trust]\nhash_chain = {flag}\naudit_reads = {flag}\n"
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "services.cli.main",
                "serve",
                "--config",
                str(self.config),
                "--port",
                str(self.port),
                "--host",
                "127.0.0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._healthy, timeout=20, what="safeguard serve")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)


async def http_rates(url: str, *, requests: int, concurrency: int) -> tuple[float, float]:
    """(POSTs per second, GETs per second) at ``concurrency`` in flight."""
    envelopes = [make_envelope(case_id=f"case-{i % 50}") for i in range(requests)]
    posts: list[Call] = [("POST", "/police/events", orjson.dumps(e)) for e in envelopes]
    reads: list[Call] = [("GET", f"/police/events/{e['event_id']}", None) for e in envelopes]
    headers = {**HEADERS, "Content-Type": "application/json"}
    return (
        await _rate(url, posts, concurrency, headers),
        await _rate(url, reads, concurrency, headers),
    )


async def _rate(url: str, calls: list[Call], concurrency: int, headers: dict[str, str]) -> float:
    _, began, ended = await request_all(url, calls, concurrency=concurrency, headers=headers)
    return len(calls) / (ended - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="alternating on/off runs; median")
    args = parser.parse_args()
    rates: dict[tuple[str, bool], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-trust-") as tmp:
        for n in range(args.rounds):
            for on in (True, False):
                run_dir = Path(tmp) / f"{n}-{on}"
                run_dir.mkdir()
                store = asyncio.run(store_rate(run_dir / "store.db", chain=on, events=args.events))
                server = Server(run_dir, on=on)
                try:
                    post, get = asyncio.run(
                        http_rates(server.url, requests=args.requests, concurrency=args.concurrency)
                    )
                finally:
                    server.stop()
                for name, value in (("store", store), ("post", post), ("get", get)):
                    rates.setdefault((name, on), []).append(value)
    _report(rates, args)


def _report(rates: dict[tuple[str, bool], list[float]], args: argparse.Namespace) -> None:
    rows = [
        ("(a) store append, events/s", "store", "hash chain"),
        (f"(b) POST one event, req/s @{args.concurrency}", "post", "hash chain"),
        (f"(c) GET one event, req/s @{args.concurrency}", "get", "read audit"),
    ]
    print("| measure | on | off | on/off | switch |")
    print("|---|---:|---:|---:|---|")
    for label, key, switch in rows:
        on, off = statistics.median(rates[(key, True)]), statistics.median(rates[(key, False)])
        print(f"| {label} | {on:,.0f} | {off:,.0f} | {on / off:.2f} | {switch} |")


if __name__ == "__main__":
    main()
