"""A notifier in its own process, for crash tests (``kill -9`` while retries wait).

    python -m tests.support.notifier_process --config FILE --data DIR [--findings FILE]

Builds the notifier over ``DIR/events.db`` and ``DIR/notifier.db``, enqueues
the findings in ``FILE`` (JSON list of ``Finding.to_json()``) if given, prints
``ready`` and delivers until killed. ``NotifierProcess`` starts one from a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from events.findings import Finding
from infra.clock import SystemClock
from infra.config import load_settings
from infra.sqlite.store import SQLiteEventStore
from services.notifier.bootstrap import build_notifier

_TUPLES = ("children", "trigger_event_ids", "concerns_agencies")
_TIMES = ("due_at", "met_at", "resolved_at")


def finding_from_json(obj: dict[str, Any]) -> Finding:
    fields = dict(obj)
    for name in _TUPLES:
        fields[name] = tuple(fields[name])
    for name in _TIMES:
        fields[name] = None if fields[name] is None else datetime.fromisoformat(fields[name])
    return Finding(**fields)


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


async def main(args: argparse.Namespace) -> None:
    settings = load_settings(args.config)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with SQLiteEventStore(args.data / "events.db") as store:
        notifier = await build_notifier(
            settings, store=store, clock=SystemClock(), db_path=args.data / "notifier.db"
        )
        if args.findings:
            findings = orjson.loads(args.findings.read_bytes())
            await notifier.on_findings(finding_from_json(f) for f in findings)
        runner = asyncio.create_task(notifier.run())
        print("ready", flush=True)
        await stop.wait()
        await notifier.close()
        await runner


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--findings", type=Path)
    asyncio.run(main(parser.parse_args(sys.argv[1:])))
