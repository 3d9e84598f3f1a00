"""SIGKILL while retries are pending: after a restart every alert still arrives,
and nothing a receiver accepted is sent again."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import orjson
import pytest

from infra.store.sqlite import SQLiteEventStore
from services.notifier.domain.alerts import alert_id_for
from services.projection.domain.findings import Finding
from tests.support.notifier_kit import SECRET, make_finding
from tests.support.receiver import Receiver, wait_until

REPO = Path(__file__).resolve().parents[2]


class NotifierProcess:
    def __init__(self, tmp: Path, config: Path, findings: list[Finding] | None) -> None:
        args = [
            sys.executable,
            "-m",
            "tests.support.notifier_process",
            "--config",
            str(config),
            "--data",
            str(tmp),
        ]
        if findings is not None:
            path = tmp / "findings.json"
            path.write_bytes(orjson.dumps([f.to_json() for f in findings]))
            args += ["--findings", str(path)]
        self.log = (tmp / "notifier.log").open("ab")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("SAFEGUARD_CONFIG", None)
        self.proc = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=self.log
        )

    async def ready(self) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.to_thread(self.proc.stdout.readline)
        assert line.strip() == b"ready", "notifier process did not start; see notifier.log"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(timeout=10) == -signal.SIGKILL
        self.log.close()


def attempts(db: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return dict(conn.execute("SELECT alert_id, attempts FROM alerts").fetchall())


def settled(db: Path, alert_ids: set[str]) -> bool:
    """Delivery recorded and its audit appended: a kill now loses nothing.

    (A kill between the receiver's 2xx and this record would resend that one
    alert after restart, with the same webhook-id: at-least-once.)"""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT alert_id FROM alerts WHERE delivery = 'delivered'")
        done = {r[0] for r in rows}
        unappended = conn.execute("SELECT count(*) FROM audit_outbox WHERE appended = 0")
        return alert_ids <= done and unappended.fetchone()[0] == 0


@pytest.fixture
def procs() -> Iterator[list[NotifierProcess]]:
    started: list[NotifierProcess] = []
    yield started
    for p in started:
        if p.proc.poll() is None:
            p.kill()


async def test_sigkill_while_retries_are_pending_still_delivers_each_alert_exactly_once(
    tmp_path: Path, procs: list[NotifierProcess]
) -> None:
    rx = Receiver()  # down
    config = tmp_path / "safeguard.toml"
    config.write_text(
        # a restart waits out the killed process's delivery lease: keep it short
        f'public_url = "https://safeguard.example.org"\n[notifier]\nhorizon = "1h"\n'
        "lease_ttl_seconds = 1\n"
        f'[[subscriptions]]\nname = "edt"\nurl = "{rx.url}"\nsecret = "{SECRET}"\n'
        f'retry_schedule = ["100ms"]\nallow_private = true\n'
    )
    findings = [make_finding(n) for n in range(1, 6)]
    ids = {alert_id_for(f.finding_id, "open", "edt") for f in findings}
    db = tmp_path / "notifier.db"

    async def run(with_findings: list[Finding] | None) -> NotifierProcess:
        p = NotifierProcess(tmp_path, config, with_findings)
        procs.append(p)
        await p.ready()
        return p

    first = await run(findings)
    await wait_until(lambda: all(n >= 2 for n in attempts(db).values()) and len(attempts(db)) == 5)
    first.kill()
    before = attempts(db)

    second = await run(None)  # restarted without re-enqueueing: retries resume
    await wait_until(lambda: all(attempts(db)[i] > before[i] for i in ids))
    second.kill()

    late = make_finding(6)
    third = await run([*findings, late])  # re-enqueueing the same findings is a no-op
    await rx.start()
    try:
        late_id = alert_id_for(late.finding_id, "open", "edt")
        await wait_until(lambda: settled(db, {*ids, late_id}), within=15)
        third.kill()
        fourth = await run([*findings, late, make_finding(7)])  # after success: nothing again
        seventh = alert_id_for(make_finding(7).finding_id, "open", "edt")
        await wait_until(lambda: settled(db, {seventh}), within=15)
        fourth.kill()
    finally:
        await rx.stop()
    assert rx.accepted == {i: 1 for i in (*ids, late_id, seventh)}
    assert len(rx.requests) == 7

    async with SQLiteEventStore(tmp_path / "events.db") as store:
        events = await store.read_all(limit=10_000)
    sent = [e for e in events if e.type == "alert.sent"]
    assert sorted(e.data["alert_id"] for e in sent) == sorted({*ids, late_id, seventh})
    failed = [e for e in events if e.type == "alert.failed"]
    assert {e.data["alert_id"] for e in failed} == ids
    assert len({e.event_id for e in events}) == len(events)
