"""A notifier in its own process, for crash tests (``kill -9`` while retries wait).

    python -m tests.support.notifier_process --config FILE --data DIR [--findings FILE]

Builds the notifier over ``DIR/events.db`` and ``DIR/notifier.db``, enqueues
the findings in ``FILE`` (JSON list of ``Finding.to_json()``) if given, prints
``ready`` and delivers until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from infra.clock import SystemClock
from infra.config import load_settings
from infra.store.sqlite import SQLiteEventStore
from services.notifier.bootstrap import build_notifier
from services.projection.domain.findings import Finding

_TUPLES = ("children", "trigger_event_ids", "concerns_agencies")
_TIMES = ("due_at", "met_at", "resolved_at")


def finding_from_json(obj: dict[str, Any]) -> Finding:
    fields = dict(obj)
    for name in _TUPLES:
        fields[name] = tuple(fields[name])
    for name in _TIMES:
        fields[name] = None if fields[name] is None else datetime.fromisoformat(fields[name])
    return Finding(**fields)


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
