"""The notifier as its own process (``safeguard run notifier``): delivers what
its outbox holds and serves duty managers' endpoints behind bearer keys."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from infra.clock import SystemClock
from infra.sqlite.store import SQLiteEventStore
from services.notifier.bootstrap import build_notifier
from services.notifier.domain.alerts import alert_id_for
from tests.support.ingest import strong_key
from tests.support.notifier_kit import SECRET, make_finding, make_settings, make_subscription
from tests.support.receiver import Receiver, wait_until
from tests.support.server import REPO, SafeguardProcess, free_port

DUTY_KEY = strong_key()
POLICE_KEY = strong_key()


def config(tmp: Path, url: str) -> Path:
    path = tmp / "safeguard.toml"
    path.write_text(f'''
environment = "development"
data_dir = "{tmp}"
public_url = "https://safeguard.example.org"
[[credentials]]
key = "{DUTY_KEY}"
role = "duty_manager"
agency = "edt"
name = "edt-dm-1"
[[credentials]]
key = "{POLICE_KEY}"
role = "agency"
agency = "police"
[[subscriptions]]
name = "edt"
url = "{url}"
secret = "{SECRET}"
retry_schedule = ["50ms"]
allow_private = true
''')
    return path


async def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 15
    async with httpx.AsyncClient() as client:
        while True:
            assert proc is None or proc.poll() is None, "the notifier process exited"
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the notifier never became healthy"
            await asyncio.sleep(0.05)


async def test_the_notifier_process_delivers_its_outbox_and_takes_acknowledgements(
    tmp_path: Path,
) -> None:
    rx = Receiver()  # down while the alert is enqueued
    finding = make_finding()
    alert_id = alert_id_for(finding.finding_id, "open", "edt")
    settings = make_settings(tmp_path, [make_subscription("edt", rx.url)])
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        n = await build_notifier(settings, store=store, clock=SystemClock())
        await n.on_findings([finding])
        await n.close()
    await rx.start()
    with SafeguardProcess(["run", "notifier", "--config", str(config(tmp_path, rx.url))]) as p:
        await wait_healthy(p.url, p.proc)
        await wait_until(lambda: rx.accepted == {alert_id: 1})
        async with httpx.AsyncClient(base_url=p.url) as client:
            duty = {"authorization": f"Bearer {DUTY_KEY}"}
            assert (await client.get("/alerts")).status_code == 401
            police = {"authorization": f"Bearer {POLICE_KEY}"}
            assert (await client.get("/alerts", headers=police)).status_code == 403
            ack = await client.post(f"/alerts/{alert_id}/ack", headers=duty)
            assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "edt-dm-1"
            listed = await client.get("/alerts?status=acknowledged", headers=duty)
            assert [a["alert_id"] for a in listed.json()["alerts"]] == [alert_id]
    await rx.stop()
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        types = [e.type for e in await store.read_all()]
    assert types == ["alert.sent", "alert.acknowledged"]


async def test_python_m_services_notifier_starts_from_a_config_file(tmp_path: Path) -> None:
    port = free_port()
    cfg = config(tmp_path, "http://127.0.0.1:9/unused")
    cfg.write_text(cfg.read_text().replace("data_dir", f"port = {port}\ndata_dir", 1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")}
    command = [sys.executable, "-m", "services.notifier", "--config", str(cfg)]
    proc = subprocess.Popen(  # noqa: ASYNC220 - starting it does not block
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        await wait_healthy(f"http://127.0.0.1:{port}", proc)
        assert (tmp_path / "notifier.db").exists()
    finally:
        proc.terminate()
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert await asyncio.to_thread(proc.wait, 15) in (0, -signal.SIGTERM)
