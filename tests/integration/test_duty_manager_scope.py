"""Duty managers see and act on only what concerns their own agency, through the
embedded stack on a real socket: the Child K case posted live, alerts to a real
webhook receiver. ``protective-adult-unconfirmed`` concerns EDT alone."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.config.notifier import NotifierSettings
from services.projection.scenarios import load_scenario
from tests.support.embedded import embedded
from tests.support.ingest import auth, make_settings
from tests.support.notifier_kit import make_subscription
from tests.support.receiver import Receiver

EDT_ONLY = "protective-adult-unconfirmed"


@pytest.fixture
async def stack(tmp_path: Path, receiver: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    """The stack with Child K posted and every alert out of the outbox."""
    settings = make_settings(
        tmp_path,
        subscriptions=[make_subscription("duty-managers", receiver.url)],
        notifier=NotifierSettings(jitter=0),
    )
    with embedded(settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            for item in load_scenario("child-k"):
                posted = await client.post(
                    f"/{item.agency}/events", json=item.envelope, headers=auth(item.agency)
                )
                assert posted.status_code == 201, posted.text
            await _settled(client)
            yield client


async def _settled(client: httpx.AsyncClient) -> None:
    for _ in range(500):
        alerts = await _alerts(client, "admin")
        if any(a["rule"] == EDT_ONLY for a in alerts) and all(
            a["status"] != "pending" for a in alerts
        ):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("alerts still pending after 10s")


async def _alerts(client: httpx.AsyncClient, who: str) -> list[Any]:
    response = await client.get("/alerts", params={"limit": "1000"}, headers=auth(who))
    assert response.status_code == 200, response.text
    alerts: list[Any] = response.json()["alerts"]
    return alerts


async def _findings(client: httpx.AsyncClient, who: str) -> list[Any]:
    response = await client.get("/findings", headers=auth(who))
    assert response.status_code == 200, response.text
    findings: list[Any] = response.json()["findings"]
    return findings


async def test_a_duty_manager_lists_only_alerts_and_findings_that_concern_their_agency(
    stack: httpx.AsyncClient,
) -> None:
    everything = await _alerts(stack, "admin")
    police_alerts = await _alerts(stack, "police_duty_manager")
    police_findings = await _findings(stack, "police_duty_manager")
    all_findings = await _findings(stack, "reviewer")

    assert {a["rule"] for a in everything} >= {EDT_ONLY}
    assert police_alerts and EDT_ONLY not in {a["rule"] for a in police_alerts}
    assert len(police_alerts) < len(everything)
    assert all(
        "police" in f["concerns_agencies"] or f["to_agency"] == "police" for f in police_findings
    )
    assert EDT_ONLY in {f["rule"] for f in all_findings} - {f["rule"] for f in police_findings}
    assert EDT_ONLY in {a["rule"] for a in await _alerts(stack, "duty_manager")}


async def test_another_agencys_duty_manager_may_not_ack_or_resolve_but_its_own_may(
    stack: httpx.AsyncClient,
) -> None:
    [alert] = [a for a in await _alerts(stack, "admin") if a["rule"] == EDT_ONLY][:1]
    finding_id = alert["finding_id"]

    read = await stack.get(f"/alerts/{alert['alert_id']}", headers=auth("police_duty_manager"))
    ack = await stack.post(
        f"/alerts/{alert['alert_id']}/ack", json={}, headers=auth("police_duty_manager")
    )
    resolve = await stack.post(
        f"/findings/{finding_id}/resolve",
        json={"reason": "Not ours."},
        headers=auth("police_duty_manager"),
    )
    own = await stack.post(
        f"/alerts/{alert['alert_id']}/ack", json={}, headers=auth("duty_manager")
    )

    for refused in (read, ack, resolve):
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "police duty manager" in refused.json()["detail"]
    assert own.status_code == 200 and own.json()["acknowledged_by"] != "police"
    assert (
        await stack.get(f"/alerts/{alert['alert_id']}", headers=auth("admin"))
    ).status_code == 200


async def test_pages_of_findings_walk_every_finding_once_within_a_duty_managers_scope(
    stack: httpx.AsyncClient,
) -> None:
    everything = await _findings(stack, "police_duty_manager")
    walked: list[str] = []
    after: str | None = None
    while True:
        params = {"limit": "2", **({"after": after} if after else {})}
        response = await stack.get("/findings", params=params, headers=auth("police_duty_manager"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["findings"]) <= 2
        walked += [f["finding_id"] for f in body["findings"]]
        if body["next"] is None:
            break
        after = body["next"]
    assert walked == [f["finding_id"] for f in everything]
    assert len(set(walked)) == len(walked) > 2


async def test_a_cursor_not_given_by_the_service_is_a_field_level_422(
    stack: httpx.AsyncClient,
) -> None:
    for path in ("/findings", "/cases"):
        response = await stack.get(
            path, params={"after": "bm90LWEtY3Vyc29y"}, headers=auth("reviewer")
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["query", "after"]
    too_many = await stack.get("/findings", params={"limit": "1001"}, headers=auth("reviewer"))
    assert too_many.status_code == 422
