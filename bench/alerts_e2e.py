"""Alert latency end to end: from the ``201`` of the post that makes a finding due
to the duty manager's receiver reading the signed webhook, through a real
``safeguard serve`` process (ingest → store → projection → notifier outbox →
HTTP), side by side with a baseline of the same signed webhook POSTed directly.

    python -m bench.alerts_e2e                       # 1,000 findings, 100 subscriptions
    python -m bench.alerts_e2e --findings 50 --subscriptions 5   # smoke run

Each post is an EDT record of an agreement breached two hours ago and never told
to the police, so its ``not-shared`` finding is overdue the moment it is recorded.
Subscription i listens for case i only, so every finding pages exactly one rota.
"""

import argparse
import asyncio
import base64
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

from infra.webhooks.signing import webhook_headers
from tests.support.receiver import Receiver, wait_until
from tests.support.server import free_port

EDT_KEY = "edt-bench-key-" + uuid.uuid4().hex
SECRET = "whsec_" + base64.b64encode(b"b" * 32).decode()


def config(data: Path, receivers: list[Receiver]) -> str:
    lines = [
        f'data_dir = "{data}"',
        "[[credentials]]",
        f'key = "{EDT_KEY}"',
        'role = "agency"',
        'agency = "edt"',
        'name = "edt-bench"',
    ]
    for i, rx in enumerate(receivers):
        lines += [
            "[[subscriptions]]",
            f'name = "dm-{i}"',
            f'url = "{rx.url}"',
            f'secret = "{SECRET}"',
            f'case_ids = ["case-{i:03d}"]',
            'retry_schedule = ["1s"]',
            "allow_private = true",  # the receivers are on loopback
        ]
    return "\n".join(lines) + "\n"


def breach(n: int, cases: int) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "case_id": f"case-{n % cases:03d}",
        "type": "agreement.breached",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "children": ["child-a"],
        "actor": {"role": "EDT social worker"},
        "data": {"agreement_id": f"agr-{n}", "summary": "Partner found at the home."},
    }


async def end_to_end(findings: int, subs: int, concurrency: int) -> list[float]:
    receivers = [await Receiver().start() for _ in range(subs)]
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "safeguard.toml"
        cfg.write_text(config(Path(tmp), receivers))
        server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
            [
                sys.executable,
                "-m",
                "services.cli.main",
                "serve",
                "--config",
                str(cfg),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return await _drive(f"http://127.0.0.1:{port}", receivers, findings, subs, concurrency)
        finally:
            server.terminate()
            server.wait(30)
            for rx in receivers:
                await rx.stop()


async def _drive(
    url: str, receivers: list[Receiver], findings: int, subs: int, concurrency: int
) -> list[float]:
    posted: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(300):
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
        for n in range(findings):
            queue.put_nowait(breach(n, subs))

        async def poster() -> None:
            while not queue.empty():
                event = queue.get_nowait()
                response = await client.post(
                    f"{url}/edt/events",
                    json=event,
                    headers={"Authorization": f"Bearer {EDT_KEY}"},
                )
                posted[str(event["event_id"])] = time.monotonic()
                assert response.status_code == 201, response.text

        await asyncio.gather(*(poster() for _ in range(concurrency)))
    await wait_until(
        lambda: sum(len(rx.requests) for rx in receivers) >= findings,
        within=120,
        what="every alert delivered",
    )
    latencies = []
    for rx in receivers:
        for received in rx.requests:
            finding = orjson.loads(received.body)["finding"]
            latencies.append((received.at - posted[finding["trigger_event_ids"][0]]) * 1000)
    return latencies


async def baseline(count: int) -> list[float]:
    """The same signed webhook, POSTed straight to a receiver: the floor."""
    rx = await Receiver().start()
    body = orjson.dumps({"finding": {"rule": "not-shared"}, "attempt": 1})
    sent: list[float] = []
    async with httpx.AsyncClient() as client:
        for n in range(count):
            headers = webhook_headers(f"msg_{n}", int(time.time()), body, [SECRET])
            sent.append(time.monotonic())
            await client.post(rx.url, content=body, headers=headers)
    await rx.stop()
    return [(r.at - t) * 1000 for r, t in zip(rx.requests, sent, strict=True)]


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
        if len(values) > 1
        else values[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--subscriptions", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    e2e = asyncio.run(end_to_end(args.findings, args.subscriptions, args.concurrency))
    floor = asyncio.run(baseline(min(args.findings, 500)))
    rows = [
        ("signed webhook POSTed directly (baseline)", floor),
        (f"post → webhook through `safeguard serve` ({args.subscriptions} subscriptions)", e2e),
    ]
    print(
        f"Alert latency — {platform.machine()}, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}, {len(e2e)} findings\n"
    )
    print("| path | n | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|")
    for name, values in rows:
        print(
            f"| {name} | {len(values)} | {percentile(values, 50):.1f} | "
            f"{percentile(values, 99):.1f} | {max(values):.1f} |"
        )
    print(f"\np99 target < 250 ms: {'met' if percentile(e2e, 99) < 250 else 'NOT met'}")


if __name__ == "__main__":
    main()
