"""Delivery to real receivers on loopback, with a real SQLite store and outbox."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from standardwebhooks.webhooks import Webhook

from events.records import RecordedEvent
from infra.clock import SystemClock
from infra.config.notifier import Subscription
from infra.sqlite.store import SQLiteEventStore
from services.notifier.bootstrap import build_notifier
from services.notifier.domain.alerts import alert_id_for
from services.notifier.service import Notifier
from tests.support.notifier_kit import SECRET, make_finding, make_settings, make_subscription
from tests.support.receiver import Receiver, Reply, wait_until


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteEventStore]:
    async with SQLiteEventStore(tmp_path / "events.db") as s:
        yield s


@asynccontextmanager
async def running(
    tmp_path: Path, store: SQLiteEventStore, subs: Sequence[Subscription], **notifier: Any
) -> AsyncIterator[Notifier]:
    settings = make_settings(tmp_path, list(subs), **notifier)
    n = await build_notifier(settings, store=store, clock=SystemClock())
    task = asyncio.create_task(n.run())
    try:
        yield n
    finally:
        await n.close()
        await task


async def audit(store: SQLiteEventStore, type_: str) -> list[RecordedEvent]:
    return [e for e in await store.read_all() if e.type == type_]


async def test_receiver_down_for_several_attempts_then_up_gets_each_alert_once_and_the_stream_has_every_attempt(  # noqa: E501
    tmp_path: Path, store: SQLiteEventStore
) -> None:
    rx = Receiver()  # not started: the port is closed
    findings = [make_finding(n) for n in range(1, 4)]
    ids = [alert_id_for(f.finding_id, "open", "edt") for f in findings]
    async with running(tmp_path, store, [make_subscription("edt", rx.url)]) as n:
        await n.on_findings(findings)
        for alert_id in ids:
            await wait_until_attempts(n, alert_id, 3)
        await rx.start()
        await wait_until(lambda: set(rx.accepted) == set(ids), what="all delivered")
        await wait_until_audited(store, "alert.sent", 3)
    await rx.stop()
    assert rx.accepted == {i: 1 for i in ids}
    failed = await audit(store, "alert.failed")
    assert {e.data["alert_id"] for e in failed} == set(ids)
    assert all(not e.data["permanent"] and e.data["next_attempt_at"] for e in failed)
    sent = await audit(store, "alert.sent")
    assert {e.data["alert_id"] for e in sent} == set(ids)
    assert all(e.agency == "safeguard" and e.case_id.startswith("case-") for e in sent)
    for e in sent:
        attempts = [f.data["attempt"] for f in failed if f.data["alert_id"] == e.data["alert_id"]]
        assert e.data["attempt"] == max(attempts) + 1


async def test_retried_alerts_keep_their_webhook_id_and_count_attempts_in_the_body(
    tmp_path: Path, store: SQLiteEventStore, receiver: Receiver
) -> None:
    receiver.fail_next(2, status=503)
    async with running(tmp_path, store, [make_subscription("edt", receiver.url)]) as n:
        await n.on_findings([make_finding()])
        await wait_until(lambda: len(receiver.accepted) == 1)
    [alert_id] = receiver.accepted
    bodies = [orjson.loads(r.body) for r in receiver.for_id(alert_id)]
    assert [b["attempt"] for b in bodies] == [1, 2, 3]
    assert [r.status for r in receiver.requests] == [503, 503, 200]
    last = receiver.requests[-1]
    assert Webhook(SECRET).verify(last.body, last.headers)["alert_id"] == alert_id
    assert bodies[0]["case_picture_url"] == "https://safeguard.example.org/cases/case-1/picture"


async def test_calling_on_findings_again_after_a_restart_sends_nothing(
    tmp_path: Path, store: SQLiteEventStore, receiver: Receiver
) -> None:
    subs = [make_subscription("edt", receiver.url)]
    findings = [make_finding(n) for n in range(1, 6)]
    async with running(tmp_path, store, subs) as n:
        await n.on_findings(findings)
        await wait_until(lambda: len(receiver.accepted) == 5)
        await n.on_findings(findings)  # a rebuild, in the same process
    async with running(tmp_path, store, subs) as n:  # a restart, then a rebuild
        await n.on_findings(findings)
        await n.deliver_due()
    assert len(receiver.requests) == 5


async def test_a_new_status_of_the_same_finding_is_a_new_alert(
    tmp_path: Path, store: SQLiteEventStore, receiver: Receiver
) -> None:
    async with running(tmp_path, store, [make_subscription("edt", receiver.url)]) as n:
        await n.on_findings([make_finding()])
        await n.on_findings([make_finding(status="met_late")])
        await wait_until(lambda: len(receiver.accepted) == 2)
    types = sorted(orjson.loads(r.body)["type"] for r in receiver.requests)
    assert types == ["finding.met_late", "finding.opened"]


async def test_410_gone_disables_the_subscription_across_restarts(
    tmp_path: Path, store: SQLiteEventStore, receiver: Receiver
) -> None:
    receiver.default = Reply(410)
    subs = [make_subscription("edt", receiver.url)]
    async with running(tmp_path, store, subs) as n:
        await n.on_findings([make_finding(1)])
        await wait_until(lambda: len(receiver.requests) == 1)
        await wait_until_audited(store, "alert.failed", 1)
    async with running(tmp_path, store, subs) as n:
        await n.on_findings([make_finding(2)])
        await wait_until_audited(store, "alert.failed", 2)
        failed = await n.alerts("failed")
    assert len(receiver.requests) == 1
    assert len(failed) == 2 and "disabled" in (failed[0].last_error or "")


async def test_400_fails_permanently_without_retry_and_is_visible_to_operators(
    tmp_path: Path, store: SQLiteEventStore, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.fail_next(1, status=400)
    caplog.set_level(logging.ERROR, logger="safeguard.notifier")
    async with running(tmp_path, store, [make_subscription("edt", receiver.url)]) as n:
        await n.on_findings([make_finding()])
        await wait_until_audited(store, "alert.failed", 1)
        await n.deliver_due()
        [failed] = await n.alerts("failed")
    assert len(receiver.requests) == 1
    assert failed.last_status_code == 400 and failed.attempts == 1
    [event] = await audit(store, "alert.failed")
    assert event.data["permanent"] is True and event.data["status_code"] == 400
    assert any("failed permanently" in r.getMessage() for r in caplog.records)


async def test_retry_after_is_honoured_over_a_shorter_schedule(
    tmp_path: Path, store: SQLiteEventStore, receiver: Receiver
) -> None:
    receiver.fail_next(1, status=429, headers={"Retry-After": "1"})
    async with running(tmp_path, store, [make_subscription("edt", receiver.url)]) as n:
        await n.on_findings([make_finding()])
        await wait_until(lambda: len(receiver.accepted) == 1, within=5)
    first, second = receiver.requests
    assert second.at - first.at >= 0.95


async def test_historical_findings_page_nobody_and_show_as_suppressed(
    tmp_path: Path, store: SQLiteEventStore, receiver: Receiver
) -> None:
    async with running(tmp_path, store, [make_subscription("edt", receiver.url)]) as n:
        await n.on_findings([make_finding(historical=True)])
        await n.deliver_due()
        suppressed = await n.alerts("suppressed")
    assert receiver.requests == [] and len(suppressed) == 1


async def test_rotated_secrets_sign_with_both_until_the_old_one_is_dropped(
    tmp_path: Path, store: SQLiteEventStore, receiver: Receiver
) -> None:
    from tests.support.notifier_kit import OLD_SECRET

    sub = make_subscription("edt", receiver.url, previous_secrets=[OLD_SECRET])
    async with running(tmp_path, store, [sub]) as n:
        await n.on_findings([make_finding()])
        await wait_until(lambda: len(receiver.accepted) == 1)
    request = receiver.requests[0]
    Webhook(OLD_SECRET).verify(request.body, request.headers)
    Webhook(SECRET).verify(request.body, request.headers)


async def wait_until_attempts(n: Notifier, alert_id: str, attempts: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while (await n.alert(alert_id)).attempts < attempts:
        assert asyncio.get_running_loop().time() < deadline, f"{alert_id} not retried"
        await asyncio.sleep(0.01)


async def wait_until_audited(store: SQLiteEventStore, type_: str, count: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while len(await audit(store, type_)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{count} {type_} not appended"
        await asyncio.sleep(0.01)


async def test_the_running_loop_escalates_when_the_delay_passes_unless_acknowledged(
    tmp_path: Path, store: SQLiteEventStore, receiver: Receiver
) -> None:
    group = await Receiver().start()
    subs = [
        make_subscription("dm", receiver.url, escalate_to="gm", escalate_after="300ms"),
        make_subscription("gm", group.url, rules=[]),
    ]
    acked, ignored = make_finding(1), make_finding(2)
    try:
        async with running(tmp_path, store, subs) as n:
            await n.on_findings([acked])
            acked_id = alert_id_for(acked.finding_id, "open", "dm")
            await wait_until(lambda: acked_id in receiver.accepted)
            await n.acknowledge(acked_id, by="dm-1")
            started = time.monotonic()
            await n.on_findings([ignored])
            await wait_until(lambda: len(group.requests) == 1, what="the escalation")
            waited = time.monotonic() - started
    finally:
        await group.stop()
    escalation = orjson.loads(group.requests[0].body)
    assert escalation["escalation_of"] == alert_id_for(ignored.finding_id, "open", "dm")
    assert waited >= 0.3
