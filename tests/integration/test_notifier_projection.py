"""The projection announces Child K's findings to the notifier; duty managers'
receivers get each one once, and a rebuild of the projection sends nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import orjson

from events import Submission, canonical, parse_envelope
from events.findings import Finding
from infra.clock import SystemClock
from infra.sqlite.store import SQLiteEventStore
from services.notifier.app import running_notifier
from services.notifier.service import Notifier
from services.projection.bootstrap import read_model_path, running_projection
from services.projection.scenarios import load_scenario
from tests.support.notifier_kit import make_settings, make_subscription
from tests.support.receiver import Receiver, wait_until
from tests.support.scenario import CHILD_K_EXPECTED, ids


class CountingSink:
    """Passes findings on to the notifier and remembers what it was given."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self.seen: set[tuple[str, str]] = set()

    async def on_findings(self, findings: Sequence[Finding]) -> None:
        self.seen.update((f.finding_id, f.status) for f in findings)
        await self.notifier.on_findings(findings)


def expected() -> set[tuple[str, tuple[str, ...], str]]:
    slug = ids("child-k")
    return {
        (e.rule, tuple(sorted(slug[t] for t in e.triggers)), e.status) for e in CHILD_K_EXPECTED
    }


def received(rx: Receiver) -> set[tuple[str, tuple[str, ...], str]]:
    bodies = [orjson.loads(r.body)["finding"] for r in rx.requests]
    return {(f["rule"], tuple(sorted(f["trigger_event_ids"])), f["status"]) for f in bodies}


async def test_child_k_findings_reach_the_duty_manager_once_and_a_rebuild_sends_nothing(
    tmp_path: Path, receiver: Receiver
) -> None:
    settings = make_settings(tmp_path, [make_subscription("all", receiver.url)])
    clock = SystemClock()
    scenario = [
        Submission(envelope=canonical(parse_envelope(e.envelope)), agency=e.agency)
        for e in load_scenario("child-k")
    ]
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        await store.append(scenario)
        head = await store.head_position()
        async with running_notifier(settings, store=store, clock=clock) as notifier:
            sink = CountingSink(notifier)
            async with running_projection(settings, store=store, clock=clock, sinks=[sink]):
                await wait_until(lambda: expected() <= received(receiver), within=20)
            first = len(receiver.requests)
            read_model_path(settings).unlink()  # rebuild from position 1
            rebuilt = CountingSink(notifier)
            async with running_projection(
                settings, store=store, clock=clock, sinks=[rebuilt]
            ) as projection:
                async with asyncio.timeout(20):
                    await projection.wait_for(head)
                announced = {finding_id for finding_id, _ in sink.seen}
                await wait_until(lambda: {f for f, _ in rebuilt.seen} >= announced)
            await notifier.deliver_due()
    assert len(receiver.requests) == first
    assert all(n == 1 for n in receiver.accepted.values())
