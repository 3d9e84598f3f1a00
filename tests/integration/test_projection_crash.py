"""SIGKILL of a real store-fed projection process mid-ingest: restarted, it
resumes from its read model (snapshots and checkpoint written together) and ends
with exactly the findings of a reference fold of the store."""

import asyncio
import os
import signal
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.workload import workload
from infra.sqlite.store import SQLiteEventStore
from services.embedded.dev_config import ensure_dev_config
from services.projection.casebook import CaseBook
from services.projection.domain.rules import default_policy
from tests.integration.test_kafka_projection_restart import projection_process, reviewer_key
from tests.support.server import free_port

EVENTS = 20_000


async def every_page(client: httpx.AsyncClient, path: str, key: str) -> list[dict[str, Any]]:
    """Every row of a paginated list, following ``next``; [] while starting."""
    rows: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params = {"limit": "1000", **({"after": after} if after else {})}
        try:
            response = await client.get(path, params=params)
        except httpx.HTTPError:
            return []
        if response.status_code != 200:
            return []
        body = response.json()
        rows += body[key]
        if body["next"] is None:
            return rows
        after = body["next"]


async def folded(client: httpx.AsyncClient, at_least: int) -> None:
    async with asyncio.timeout(120):
        while sum(c["events"] for c in await every_page(client, "/cases", "cases")) < at_least:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # another process: poll its own report under a deadline


def checkpoint(model: Path) -> int:
    with sqlite3.connect(model) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'checkpoint:store'").fetchone()
    return 0 if row is None else int(row[0])


async def test_killed_projection_resumes_from_its_model_to_the_reference_findings(
    tmp_path: Path,
) -> None:
    config, _ = ensure_dev_config(tmp_path)
    port, log = free_port(), tmp_path / "projection.log"
    env = {
        **os.environ,
        "SAFEGUARD_CONFIG": str(config),
        "SAFEGUARD_DATA_DIR": str(tmp_path / "data"),
        "SAFEGUARD_PORT": str(port),
        "SAFEGUARD_STORE__SQLITE_PATH": str(tmp_path / "events.db"),
    }
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        for batch in workload(cases=200, events_per_case=EVENTS // 200):
            await store.append(batch)
        events = await store.read_all(1, EVENTS)
    headers = {"Authorization": f"Bearer {reviewer_key(config)}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
        with projection_process(env, log) as first:
            await folded(client, 1)
            first.send_signal(signal.SIGKILL)
            first.wait()
        resumed_from = checkpoint(tmp_path / "data" / "projection.db")
        with projection_process(env, log):
            await folded(client, EVENTS)
            served = await every_page(client, "/findings", "findings")

    reference = CaseBook(default_policy())
    reference.load(events)
    now = datetime.now(UTC)
    expected = {
        (f.finding_id, f.status)
        for case_id in reference.case_ids()
        for f in reference.findings(case_id, now)
    }
    assert 0 < resumed_from < EVENTS  # killed mid-ingest, after a snapshot was written
    assert {(f["finding_id"], f["status"]) for f in served} == expected
    assert len(served) == len(expected) > 0
