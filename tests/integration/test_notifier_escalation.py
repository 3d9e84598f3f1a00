"""Acknowledge, escalate and resolve, with a clock the test moves by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi import FastAPI

from events.agencies import Agency
from infra.clock import FixedClock
from infra.sqlite.store import SQLiteEventStore
from services.http.auth import Principal
from services.http.problems import install_problem_handlers
from services.notifier.api import alerts_router
from services.notifier.bootstrap import build_notifier
from services.notifier.domain.alerts import alert_id_for
from services.notifier.service import Notifier
from tests.support.notifier_kit import make_finding, make_settings, make_subscription
from tests.support.receiver import Receiver

START = datetime.now(UTC).replace(microsecond=0)
DUTY = Principal(role="duty_manager", agency=Agency.EDT, name="edt-dm-1", key_id="abc")
POLICE_DUTY = Principal(role="duty_manager", agency=Agency.POLICE, name="pol-dm-1", key_id="def")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteEventStore]:
    async with SQLiteEventStore(tmp_path / "events.db") as s:
        yield s


@pytest.fixture
async def duty() -> AsyncIterator[Receiver]:
    rx = await Receiver().start()
    yield rx
    await rx.stop()


@pytest.fixture
async def group() -> AsyncIterator[Receiver]:
    rx = await Receiver().start()
    yield rx
    await rx.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def notifier(
    tmp_path: Path, store: SQLiteEventStore, duty: Receiver, group: Receiver, clock: FixedClock
) -> AsyncIterator[Notifier]:
    subs = [
        make_subscription(
            "edt-duty-manager",
            duty.url,
            agencies=["edt"],
            escalate_to="edt-group-manager",
            escalate_after="15m",
        ),
        make_subscription("edt-group-manager", group.url, rules=[]),
    ]
    n = await build_notifier(make_settings(tmp_path, subs), store=store, clock=clock)
    yield n
    await n.close()


@asynccontextmanager
async def api_as(notifier: Notifier, who: Principal) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(
        alerts_router(notifier, auth_dependency=lambda: who, admin_dependency=lambda: who)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://safeguard") as client:
        yield client


@pytest.fixture
async def api(notifier: Notifier) -> AsyncIterator[httpx.AsyncClient]:
    async with api_as(notifier, DUTY) as client:
        yield client


async def types(store: SQLiteEventStore) -> list[str]:
    return [e.type for e in await store.read_all()]


async def test_unacknowledged_alert_escalates_to_the_contact_after_the_delay(
    notifier: Notifier,
    clock: FixedClock,
    duty: Receiver,
    group: Receiver,
    store: SQLiteEventStore,
) -> None:
    finding = make_finding()
    await notifier.on_findings([finding])
    await notifier.deliver_due()
    clock.set(START + timedelta(minutes=14))
    await notifier.deliver_due()
    assert len(duty.accepted) == 1 and group.requests == []
    clock.set(START + timedelta(minutes=15))
    await notifier.deliver_due()
    [escalation] = [orjson.loads(r.body) for r in group.requests]
    original = alert_id_for(finding.finding_id, "open", "edt-duty-manager")
    assert escalation["type"] == "finding.escalated"
    assert escalation["escalation_of"] == original
    assert [a.alert_id for a in await notifier.alerts("escalated")] == [original]
    [event] = [e for e in await store.read_all() if e.type == "alert.escalated"]
    assert event.data["escalated_to"] == "edt-group-manager"
    assert event.data["escalated_alert_id"] == escalation["alert_id"]


async def test_an_ack_refused_to_another_agencys_duty_manager_leaves_the_escalation_to_fire(
    notifier: Notifier, clock: FixedClock, group: Receiver, store: SQLiteEventStore
) -> None:
    finding = make_finding()  # concerns EDT alone
    await notifier.on_findings([finding])
    await notifier.deliver_due()
    alert_id = alert_id_for(finding.finding_id, "open", "edt-duty-manager")

    async with api_as(notifier, POLICE_DUTY) as police:
        ack = await police.post(f"/alerts/{alert_id}/ack", json={"note": "Seen."})
        resolve = await police.post(
            f"/findings/{finding.finding_id}/resolve", json={"reason": "Not ours."}
        )
    clock.set(START + timedelta(minutes=15))
    await notifier.deliver_due()

    assert ack.status_code == resolve.status_code == 403
    assert "police duty manager" in ack.json()["detail"]
    [escalation] = [orjson.loads(r.body) for r in group.requests]
    assert escalation["type"] == "finding.escalated"
    assert escalation["escalation_of"] == alert_id
    recorded = await types(store)
    assert "alert.acknowledged" not in recorded and "finding.resolved" not in recorded


async def test_acknowledged_alert_does_not_escalate(
    notifier: Notifier,
    clock: FixedClock,
    group: Receiver,
    api: httpx.AsyncClient,
    store: SQLiteEventStore,
) -> None:
    finding = make_finding()
    await notifier.on_findings([finding])
    await notifier.deliver_due()
    alert_id = alert_id_for(finding.finding_id, "open", "edt-duty-manager")
    response = await api.post(f"/alerts/{alert_id}/ack", json={"note": "On it."})
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    clock.set(START + timedelta(hours=2))
    await notifier.deliver_due()
    assert group.requests == []
    ack = [e for e in await store.read_all() if e.type == "alert.acknowledged"]
    assert len(ack) == 1 and ack[0].data["by"] == "edt-dm-1" and ack[0].agency == "safeguard"


async def test_acknowledging_twice_records_one_acknowledgement(
    notifier: Notifier, api: httpx.AsyncClient, store: SQLiteEventStore
) -> None:
    finding = make_finding()
    await notifier.on_findings([finding])
    alert_id = alert_id_for(finding.finding_id, "open", "edt-duty-manager")
    for _ in range(2):
        assert (await api.post(f"/alerts/{alert_id}/ack")).status_code == 200
    assert (await types(store)).count("alert.acknowledged") == 1


async def test_a_finding_met_late_before_the_delay_stops_its_escalation(
    notifier: Notifier, clock: FixedClock, group: Receiver
) -> None:
    await notifier.on_findings([make_finding()])
    await notifier.deliver_due()
    clock.set(START + timedelta(minutes=5))
    await notifier.on_findings([make_finding(status="met_late")])
    clock.set(START + timedelta(hours=1))
    await notifier.deliver_due()
    assert group.requests == []


async def test_late_acknowledgement_stops_escalation_further_down_the_chain(
    tmp_path: Path,
    store: SQLiteEventStore,
    duty: Receiver,
    group: Receiver,
    clock: FixedClock,
) -> None:
    head = await Receiver().start()
    subs = [
        make_subscription("dm", duty.url, escalate_to="gm", escalate_after="15m"),
        make_subscription("gm", group.url, rules=[], escalate_to="head", escalate_after="15m"),
        make_subscription("head", head.url, rules=[]),
    ]
    n = await build_notifier(make_settings(tmp_path, subs), store=store, clock=clock)
    try:
        finding = make_finding()
        await n.on_findings([finding])
        await n.deliver_due()
        clock.set(START + timedelta(minutes=16))
        await n.deliver_due()
        assert len(group.accepted) == 1
        await n.acknowledge(alert_id_for(finding.finding_id, "open", "dm"), by="dm-1")
        clock.set(START + timedelta(minutes=45))
        await n.deliver_due()
        assert head.requests == []
    finally:
        await n.close()
        await head.stop()


async def test_duty_manager_resolves_a_finding_with_a_reason(
    notifier: Notifier,
    api: httpx.AsyncClient,
    store: SQLiteEventStore,
    clock: FixedClock,
    group: Receiver,
) -> None:
    finding = make_finding()
    await notifier.on_findings([finding])
    url = f"/findings/{finding.finding_id}/resolve"
    response = await api.post(url, json={"reason": "Strategy discussion held; recorded late."})
    assert response.status_code == 200
    [event] = [e for e in await store.read_all() if e.type == "finding.resolved"]
    assert event.agency == "edt" and event.case_id == finding.case_id
    assert event.data == {
        "finding_id": finding.finding_id,
        "by": "edt-dm-1",
        "reason": "Strategy discussion held; recorded late.",
    }
    again = await api.post(url, json={"reason": "Strategy discussion held; recorded late."})
    assert again.status_code == 200 and again.json()["event_id"] == event.event_id
    other = await api.post(url, json={"reason": "Something else."})
    assert other.status_code == 409
    clock.set(START + timedelta(hours=1))
    await notifier.deliver_due()
    assert group.requests == []  # resolving stopped the escalation


async def test_unknown_alerts_and_findings_are_404_problems(api: httpx.AsyncClient) -> None:
    ack = await api.post("/alerts/nope/ack")
    resolve = await api.post("/findings/fnd_x/resolve", json={"reason": "x"})
    assert ack.status_code == resolve.status_code == 404
    assert ack.headers["content-type"] == "application/problem+json"


async def test_alerts_list_filters_by_status(
    notifier: Notifier, api: httpx.AsyncClient, duty: Receiver
) -> None:
    await notifier.on_findings([make_finding(1), make_finding(2, historical=True)])
    assert len((await api.get("/alerts", params={"status": "pending"})).json()["alerts"]) == 1
    await notifier.deliver_due()
    delivered = (await api.get("/alerts", params={"status": "delivered"})).json()["alerts"]
    assert [a["case_id"] for a in delivered] == ["case-1"]
    suppressed = (await api.get("/alerts?status=suppressed")).json()["alerts"]
    assert [a["case_id"] for a in suppressed] == ["case-2"]
    assert (await api.get("/alerts?status=bogus")).status_code == 422


async def test_an_operator_re_enables_a_subscription_disabled_by_410(
    notifier: Notifier, api: httpx.AsyncClient, duty: Receiver
) -> None:
    duty.fail_next(1, status=410)
    await notifier.on_findings([make_finding(1)])
    await notifier.deliver_due()
    await notifier.on_findings([make_finding(2)])
    await notifier.deliver_due()
    assert len(duty.requests) == 1
    assert (await api.post("/subscriptions/edt-duty-manager/enable")).status_code == 204
    await notifier.on_findings([make_finding(3)])
    await notifier.deliver_due()
    assert [r.status for r in duty.requests] == [410, 200]
