"""The delivery lease and claims of ``SQLiteOutbox``: two outboxes on one file
play two notifiers. Expiry, renewal, a token that grows on takeover, and a
stale token's claims and results refused (fencing)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.notifier import audit
from services.notifier.adapters.sqlite_outbox import SQLiteOutbox
from services.notifier.domain.alerts import NewAlert
from services.notifier.domain.routing import escalation_of, plan_alerts
from services.notifier.errors import LeaseLost
from services.notifier.ports import AttemptRecord
from tests.support.notifier_kit import make_finding, make_subscription

T0 = datetime(2024, 3, 1, 22, 30, tzinfo=UTC)
TTL = timedelta(seconds=10)
CLAIM = timedelta(seconds=40)


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_alerts(n: int) -> list[NewAlert]:
    sub = make_subscription("edt", "https://pager.example.org/hooks")
    return plan_alerts([make_finding(i) for i in range(1, n + 1)], [sub], T0)


def delivered(alert: NewAlert, at: datetime) -> AttemptRecord:
    return AttemptRecord(alert.alert_id, 1, "delivered", at, audit.sent(alert, 1, 200, at))


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[SQLiteOutbox, SQLiteOutbox]]:
    a, b = SQLiteOutbox(tmp_path / "notifier.db"), SQLiteOutbox(tmp_path / "notifier.db")
    await a.start()
    await b.start()
    yield a, b
    await a.close()
    await b.close()


async def test_a_free_lease_is_taken_renewed_by_its_owner_and_taken_over_once_expired(
    two: tuple[SQLiteOutbox, SQLiteOutbox],
) -> None:
    a, b = two
    assert await a.acquire_or_renew("a", TTL, T0) == 1
    assert await b.acquire_or_renew("b", TTL, later(5)) is None
    assert await a.acquire_or_renew("a", TTL, later(5)) == 1  # renewed to T0 + 15 s
    assert await b.acquire_or_renew("b", TTL, later(14)) is None
    assert await b.acquire_or_renew("b", TTL, later(15)) == 2  # expired: the next token
    assert await a.acquire_or_renew("a", TTL, later(16)) is None


async def test_a_released_lease_is_taken_at_once_with_the_next_token(
    two: tuple[SQLiteOutbox, SQLiteOutbox],
) -> None:
    a, b = two
    assert await a.acquire_or_renew("a", TTL, T0) == 1
    await a.release_lease("a")
    assert await b.acquire_or_renew("b", TTL, later(1)) == 2


async def test_a_claimed_alert_is_not_claimed_again_until_its_claim_runs_out(
    two: tuple[SQLiteOutbox, SQLiteOutbox],
) -> None:
    a, _ = two
    alerts = new_alerts(3)
    await a.enqueue(alerts)
    token = await a.acquire_or_renew("a", TTL, T0)
    assert token is not None
    first = await a.claim_due(token, later(1), 10, CLAIM)
    assert {x.alert_id for x in first} == {x.alert_id for x in alerts}
    assert await a.claim_due(token, later(2), 10, CLAIM) == []
    await a.acquire_or_renew("a", TTL, later(42))
    again = await a.claim_due(token, later(42), 10, CLAIM)  # the sender died mid-send
    assert sorted(x.alert_id for x in again) == sorted(x.alert_id for x in first)


async def test_concurrent_claims_never_take_the_same_alert(
    two: tuple[SQLiteOutbox, SQLiteOutbox],
) -> None:
    a, b = two
    await a.enqueue(new_alerts(40))
    token = await a.acquire_or_renew("a", TTL, T0)
    assert token is not None
    claims = await asyncio.gather(
        *(o.claim_due(token, later(1), 7, CLAIM) for o in (a, b, a, b, a, b, a, b))
    )
    ids = [x.alert_id for batch in claims for x in batch]
    assert len(ids) == len(set(ids)) == 40


async def test_an_expired_lease_claims_nothing_even_for_its_last_holder(
    two: tuple[SQLiteOutbox, SQLiteOutbox],
) -> None:
    a, _ = two
    await a.enqueue(new_alerts(1))
    token = await a.acquire_or_renew("a", TTL, T0)
    assert token is not None
    assert await a.claim_due(token, later(10), 10, CLAIM) == []


async def test_after_a_takeover_the_stale_token_can_neither_claim_nor_record(
    two: tuple[SQLiteOutbox, SQLiteOutbox],
) -> None:
    a, b = two
    [alert] = new_alerts(1)
    await a.enqueue([alert])
    old = await a.acquire_or_renew("a", TTL, T0)
    assert old is not None
    [claimed] = await a.claim_due(old, later(1), 10, CLAIM)  # then "a" pauses past its ttl
    new = await b.acquire_or_renew("b", TTL, later(12))
    assert new == old + 1
    assert await a.claim_due(old, later(12), 10, CLAIM) == []
    with pytest.raises(LeaseLost):
        await a.record_attempt(delivered(alert, later(13)), old)
    assert (await b.get(alert.alert_id)).delivery == "pending"  # type: ignore[union-attr]
    assert await b.pending_audit(10) == []
    [resend] = await b.claim_due(new, later(13), 10, CLAIM)  # in flight: due again at once
    assert resend.alert_id == claimed.alert_id and resend.attempts == claimed.attempts
    await b.record_attempt(delivered(alert, later(14)), new)
    assert (await a.get(alert.alert_id)).delivery == "delivered"  # type: ignore[union-attr]


async def test_a_stale_token_cannot_escalate(two: tuple[SQLiteOutbox, SQLiteOutbox]) -> None:
    a, b = two
    [alert] = new_alerts(1)
    await a.enqueue([alert])
    old = await a.acquire_or_renew("a", TTL, T0)
    assert old is not None
    await b.acquire_or_renew("b", TTL, later(11))
    target = make_subscription("dm", "https://pager.example.org/dm")
    escalation = escalation_of(alert, target, later(400))
    with pytest.raises(LeaseLost):
        await a.escalate(
            alert.alert_id, escalation, later(400), audit.escalated(alert, escalation, T0), old
        )
    assert await a.get(escalation.alert_id) is None


async def test_an_outbox_file_from_before_the_lease_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "notifier.db"
    outbox = SQLiteOutbox(path)
    await outbox.start()
    [alert] = new_alerts(1)
    await outbox.enqueue([alert])
    await outbox.close()
    with closing(sqlite3.connect(path)) as db:  # as an older release left it
        db.executescript(
            "DROP TABLE lease; ALTER TABLE alerts DROP COLUMN claimed_by;"
            " ALTER TABLE alerts DROP COLUMN claimed_until;"
        )
    for _ in range(2):  # opening it again changes nothing
        outbox = SQLiteOutbox(path)
        await outbox.start()
        await outbox.close()
    outbox = SQLiteOutbox(path)
    await outbox.start()
    try:
        token = await outbox.acquire_or_renew("a", TTL, T0)
        assert token == 1
        [claimed] = await outbox.claim_due(token, later(1), 10, CLAIM)
        assert claimed.alert_id == alert.alert_id
    finally:
        await outbox.close()
