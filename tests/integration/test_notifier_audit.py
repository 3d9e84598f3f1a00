"""The audit trail reaches the stream even when the store is briefly down,
and a lost outbox cannot jam it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.records import Submission
from infra.clock import FixedClock, SystemClock
from infra.store.port import AppendResult, StoreUnavailable
from infra.store.sqlite import SQLiteEventStore
from services.notifier.bootstrap import build_notifier
from tests.support.notifier_kit import make_finding, make_settings, make_subscription
from tests.support.receiver import Receiver


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


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rx = await Receiver().start()
    yield rx
    await rx.stop()


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


async def test_a_lost_outbox_resends_with_the_same_id_and_keeps_the_streams_first_record(
    tmp_path: Path, store: FlakyStore, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, [make_subscription("edt", receiver.url)])
    for db in ("one.db", "two.db"):  # the second run has lost the first's outbox
        n = await build_notifier(settings, store=store, clock=SystemClock(), db_path=tmp_path / db)
        findings = [make_finding(1)] if db == "one.db" else [make_finding(1), make_finding(2)]
        await n.on_findings(findings)
        await n.deliver_due()
        await n.close()
    assert len(receiver.accepted) == 2 and sorted(receiver.accepted.values()) == [1, 2]
    sent = [e for e in await store.read_all() if e.type == "alert.sent"]
    assert len(sent) == 2  # one per alert: the resend's record conflicted and was dropped
    assert any("conflicts" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
