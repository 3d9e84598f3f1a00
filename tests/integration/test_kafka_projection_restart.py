"""A Kafka-fed projection process killed mid-stream (SIGKILL) and restarted ends
with exactly the findings of a store-fed one, and announces no finding twice.

Given a store with a generated load relayed to Kafka (tansu), when
``safeguard run projection`` (feed = kafka) is killed while folding and started
again, then its ``GET /findings`` equals the embedded projection's, and its JSON
logs show each (finding, status) announced once across both runs.
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.workload import workload
from infra.config import Settings
from infra.config.stream import KafkaSettings
from infra.sqlite.store import SQLiteEventStore
from services.embedded.dev_config import ensure_dev_config
from services.projection.app import create_app as create_projection_app
from services.relay.relay import running_relay
from tests.support.server import REPO, free_port, killed_on_exit

pytestmark = pytest.mark.kafka
EVENTS = 10_000


def reviewer_key(config: Path) -> str:
    credentials = tomllib.loads(config.read_text())["credentials"]
    return str(next(c["key"] for c in credentials if c["role"] == "reviewer"))


@contextlib.contextmanager
def projection_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    cmd = [sys.executable, "-m", "services.cli.main", "run", "projection"]
    with log.open("ab") as stderr:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr)
    with killed_on_exit(proc):
        yield proc


async def folded(client: httpx.AsyncClient) -> int:
    """Events the projection has folded, as its API reports (0 while starting)."""
    try:
        response = await client.get("/cases", params={"limit": 1000})
    except httpx.HTTPError:
        return 0
    if response.status_code != 200:
        return 0
    return sum(case["events"] for case in response.json()["cases"])


async def until_folded(client: httpx.AsyncClient, at_least: int) -> int:
    async with asyncio.timeout(120):
        while (count := await folded(client)) < at_least:  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.05)  # poll the service's own report under a deadline
    return count


def findings(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return sorted(response.json()["findings"], key=lambda f: f["finding_id"])


async def embedded_findings(settings: Settings, store: SQLiteEventStore, key: str) -> list[Any]:
    app = create_projection_app(settings, store=store)
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://p", headers=headers
        ) as client,
    ):
        await until_folded(client, EVENTS)
        return findings(await client.get("/findings", params={"limit": 1000}))


def announcements(log: Path) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for line in log.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            entry = json.loads(line)
            if str(entry.get("message", "")).startswith("finding ") and "finding_id" in entry:
                counts[(entry["finding_id"], entry["message"])] += 1
    return counts


async def test_killed_kafka_fed_projection_restarts_to_the_embedded_findings(
    tansu: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = ensure_dev_config(tmp_path)
    monkeypatch.setenv("SAFEGUARD_CONFIG", str(config))
    key = reviewer_key(config)
    port, log = free_port(), tmp_path / "projection.log"
    env = {
        **os.environ,
        "SAFEGUARD_CONFIG": str(config),
        "SAFEGUARD_DATA_DIR": str(tmp_path / "kafka-fed"),
        "SAFEGUARD_PORT": str(port),
        "SAFEGUARD_LOG_LEVEL": "INFO",
        "SAFEGUARD_STORE__SQLITE_PATH": str(tmp_path / "events.db"),
        "SAFEGUARD_STORE__FEED": "kafka",
        "SAFEGUARD_KAFKA__BOOTSTRAP_SERVERS": tansu,
        "SAFEGUARD_KAFKA__ENABLE_IDEMPOTENCE": "false",
        "SAFEGUARD_KAFKA__SESSION_TIMEOUT_MS": "1500",
    }
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        for batch in workload(cases=100, events_per_case=EVENTS // 100):
            await store.append(batch)
        async with (
            running_relay(
                store,
                KafkaSettings(bootstrap_servers=tansu, enable_idempotence=False, partitions=3),
                tmp_path / "relay.db",
                batch=1_000,
            ),
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}
            ) as client,
        ):
            with projection_process(env, log) as first:
                at_kill = await until_folded(client, 1)
                first.send_signal(signal.SIGKILL)
            with projection_process(env, log):
                await until_folded(client, EVENTS)
                kafka_fed = findings(await client.get("/findings", params={"limit": 1000}))
        expected = await embedded_findings(Settings(data_dir=tmp_path / "store-fed"), store, key)

    assert at_kill < EVENTS  # killed mid-stream
    assert kafka_fed == expected and len(expected) > 0
    announced = announcements(log)
    assert len(announced) > 0
    assert {k: n for k, n in announced.items() if n > 1} == {}
