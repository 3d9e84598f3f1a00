"""The audit trail reaches the stream even when the store is briefly down,
and a lost outbox cannot jam it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from events.records import Submission
from infra.clock import FixedClock, SystemClock
from infra.sqlite.store import SQLiteEventStore
from infra.store.port import AppendResult, StoreUnavailable
from services.notifier import audit
from services.notifier.adapters.sqlite_outbox import SQLiteOutbox
from services.notifier.audit_relay import AuditRelay
from services.notifier.bootstrap import build_notifier
from services.notifier.domain.alerts import alert_id_for
from services.notifier.domain.routing import plan_alerts
from tests.support.notifier_kit import make_finding, make_settings, make_subscription
from tests.support.receiver import Receiver

NOW = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


class FlakyStore(SQLiteEventStore):
    """A real store whose next ``failures`` appends are refused, like an outage."""

    failures = 0

    async def append(
        self,
        submissions: Sequence[Submission],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("store is down (test)")
        return await super().append(submissions, expected_versions=expected_versions)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[FlakyStore]:
    async with FlakyStore(tmp_path / "events.db") as s:
        yield s


async def test_audit_events_wait_out_a_store_outage_and_then_land_once(
    tmp_path: Path, store: FlakyStore, receiver: Receiver
) -> None:
    settings = make_settings(tmp_path, [make_subscription("edt", receiver.url)])
    clock = FixedClock(datetime.now(UTC))
    n = await build_notifier(settings, store=store, clock=clock)
    receiver.fail_next(1)
    store.failures = 2
    await n.on_findings([make_finding()])
    await n.deliver_due()  # attempt 1 fails; its audit append is refused
    await n.close()
    assert [e.type for e in await store.read_all()] == []
    clock.set(clock.now() + timedelta(seconds=1))
    n = await build_notifier(settings, store=store, clock=clock)
    await n.deliver_due()  # after a restart: attempt 2 succeeds; the store is back
    await n.close()
    events = await store.read_all()
    assert [(e.type, e.data["attempt"]) for e in events] == [("alert.failed", 1), ("alert.sent", 2)]


async def test_a_lost_outbox_is_restored_from_the_stream_so_nothing_is_sent_again(
    tmp_path: Path, store: FlakyStore, receiver: Receiver
) -> None:
    settings = make_settings(tmp_path, [make_subscription("edt", receiver.url)])
    one, two = make_finding(1), make_finding(2)
    n = await build_notifier(settings, store=store, clock=SystemClock(), db_path=tmp_path / "a.db")
    await n.on_findings([one])
    await n.deliver_due()
    await n.close()
    # the outbox file is lost; the projection is rebuilt and announces everything again
    n = await build_notifier(settings, store=store, clock=SystemClock(), db_path=tmp_path / "b.db")
    await n.on_findings([one, two])
    await n.deliver_due()
    restored = await n.alert(alert_id_for(one.finding_id, "open", "edt"))
    await n.close()
    assert sorted(receiver.accepted.values()) == [1, 1]
    assert restored.delivery == "delivered" and restored.alert.rule == "not-shared"


async def test_retries_pending_when_the_outbox_was_lost_resume_with_the_next_attempt(
    tmp_path: Path, store: FlakyStore
) -> None:
    rx = Receiver()  # down
    settings = make_settings(tmp_path, [make_subscription("edt", rx.url)])
    finding = make_finding()
    n = await build_notifier(settings, store=store, clock=SystemClock(), db_path=tmp_path / "a.db")
    await n.on_findings([finding])
    await n.deliver_due()
    await n.close()
    await rx.start()
    # the restart comes after the retry fell due (a fixed clock: no race with the 50 ms)
    later = FixedClock(datetime.now(UTC) + timedelta(minutes=1))
    try:
        n = await build_notifier(settings, store=store, clock=later, db_path=tmp_path / "b.db")
        await n.on_findings([finding])
        await n.deliver_due()
        await n.close()
    finally:
        await rx.stop()
    [request] = rx.requests
    body = orjson.loads(request.body)
    assert body["attempt"] == 2 and body["finding"]["explanation"] == finding.explanation
    attempts = [(e.type, e.data["attempt"]) for e in await store.read_all()]
    assert attempts == [("alert.failed", 1), ("alert.sent", 2)]


async def test_an_audit_event_the_stream_holds_otherwise_is_dropped_loudly_not_jammed(
    tmp_path: Path, store: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    [alert] = plan_alerts([make_finding()], [make_subscription("edt", "https://x.org")], NOW)
    await store.append([audit.sent(alert, 1, 200, NOW)])
    outbox = SQLiteOutbox(tmp_path / "outbox.db")
    await outbox.start()
    await outbox.add_audit(audit.sent(alert, 1, 200, NOW + timedelta(seconds=1)))
    await outbox.add_audit(audit.acknowledged(alert, "dm-1", None, NOW))
    await AuditRelay(outbox, store).flush()
    assert await outbox.pending_audit(10) == []
    await outbox.close()
    types = [e.type for e in await store.read_all()]
    assert types == ["alert.sent", "alert.acknowledged"]
    assert any("conflicts" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
