"""Alert latency, enqueue to receiver, and the cost of signing.

Run tiny here (two shared cores); the lead runs the real size::

    python -m bench.alerts --findings 1000 --subscriptions 100

Findings fall due in batches (as the projection's deadline timer would hand
them over); each goes to one subscription, each subscription has its own real
receiver on loopback. Latency is from the ``on_findings`` call to the
receiver reading the request. Target: p99 < 250 ms.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import orjson

from infra.clock import SystemClock
from infra.sqlite.store import SQLiteEventStore
from infra.webhooks.signing import webhook_headers
from services.notifier.bootstrap import build_notifier
from services.notifier.domain.alerts import alert_id_for
from tests.support.notifier_kit import OLD_SECRET, SECRET, make_finding, make_settings
from tests.support.notifier_kit import make_subscription as subscription
from tests.support.receiver import Receiver, wait_until


async def latency(findings: int, subs: int, batch: int, interval: float) -> list[float]:
    receivers = [await Receiver().start() for _ in range(subs)]
    subscriptions = [
        subscription(f"dm-{i}", rx.url, case_ids=[f"case-{i}"]) for i, rx in enumerate(receivers)
    ]
    all_findings = [make_finding(n, case_id=f"case-{n % subs}") for n in range(findings)]
    enqueued: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp), subscriptions, max_in_flight=64)
        async with SQLiteEventStore(Path(tmp) / "events.db") as store:
            notifier = await build_notifier(settings, store=store, clock=SystemClock())
            runner = asyncio.create_task(notifier.run())
            for start in range(0, findings, batch):
                chunk = all_findings[start : start + batch]
                now = time.monotonic()
                for f in chunk:
                    enqueued[alert_id_for(f.finding_id, "open", f"dm-{int(f.case_id[5:])}")] = now
                await notifier.on_findings(chunk)
                await asyncio.sleep(interval)
            arrived = lambda: sum(len(rx.accepted) for rx in receivers)  # noqa: E731
            await wait_until(lambda: arrived() == findings, within=300, what="every alert")
            await notifier.close()
            await runner
    for rx in receivers:
        await rx.stop()
    return [r.at - enqueued[r.webhook_id] for rx in receivers for r in rx.requests]


def signing_cost(n: int) -> dict[str, float]:
    """Microseconds per alert to build the body and headers, unsigned vs signed."""
    finding = make_finding().to_json()

    def unsigned(i: int, body: bytes) -> dict[str, str]:
        return {"webhook-id": str(i), "webhook-timestamp": "1700000000"}

    variants = {
        "unsigned (baseline)": unsigned,
        "signed, 1 secret": lambda i, body: webhook_headers(str(i), 1_700_000_000, body, [SECRET]),
        "signed, 2 secrets (rotation)": lambda i, body: webhook_headers(
            str(i), 1_700_000_000, body, [SECRET, OLD_SECRET]
        ),
    }
    results: dict[str, float] = {}
    for label, headers in variants.items():
        start = time.perf_counter()
        for i in range(n):
            headers(i, orjson.dumps({"alert_id": str(i), "attempt": 1, "finding": finding}))
        results[label] = (time.perf_counter() - start) / n * 1e6
    return results


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", type=int, default=100)
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10, help="findings per on_findings call")
    parser.add_argument("--interval-ms", type=float, default=10.0, help="between batches")
    parser.add_argument("--sign-n", type=int, default=5_000)
    args = parser.parse_args()
    lat = asyncio.run(
        latency(args.findings, args.subscriptions, args.batch, args.interval_ms / 1000)
    )
    ms = [v * 1000 for v in lat]
    print(f"### Alerts: {args.findings} findings, {args.subscriptions} subscriptions\n")
    print("| metric | value |\n|---|---|")
    print(f"| alerts delivered | {len(ms)} |")
    print(f"| latency p50 | {percentile(ms, 50):.1f} ms |")
    print(f"| latency p99 | {percentile(ms, 99):.1f} ms |")
    print(f"| latency max | {max(ms):.1f} ms |")
    for label, micros in signing_cost(args.sign_n).items():
        print(f"| body + headers per alert, {label} | {micros:.1f} µs |")


if __name__ == "__main__":
    main()
