"""Findings to duty managers through the whole embedded stack: agency posts →
projection → notifier → a real webhook receiver on loopback."""

import asyncio
from pathlib import Path
from typing import Any

import httpx

from infra.config.notifier import NotifierSettings
from services.projection.scenarios import load_scenario
from tests.support.embedded import embedded
from tests.support.ingest import auth, make_settings
from tests.support.notifier_kit import make_subscription
from tests.support.receiver import Receiver, wait_until


def _settings(tmp_path: Path, receiver: Receiver) -> Any:
    return make_settings(
        tmp_path,
        subscriptions=[make_subscription("edt-duty-manager", receiver.url)],
        notifier=NotifierSettings(jitter=0),
    )


async def _post_child_k(client: httpx.AsyncClient, url: str, **params: str) -> None:
    for item in load_scenario("child-k"):
        response = await client.post(
            f"{url}/{item.agency}/events",
            json=item.envelope,
            params=params,
            headers=auth(item.agency),
        )
        assert response.status_code == 201, response.text


async def _alerts(client: httpx.AsyncClient, url: str, who: str = "admin") -> list[Any]:
    """Every alert, as an admin sees them (a duty manager sees only their agency's)."""
    params = {"limit": "1000"}
    response = await client.get(f"{url}/alerts", params=params, headers=auth(who))
    assert response.status_code == 200, response.text
    alerts: list[Any] = response.json()["alerts"]
    return alerts


async def _findings(client: httpx.AsyncClient, url: str) -> list[Any]:
    response = await client.get(f"{url}/cases/child-k/findings", headers=auth("reviewer"))
    return response.json()["findings"] if response.status_code == 200 else []


async def _delivered_all(client: httpx.AsyncClient, url: str) -> int:
    """Wait until every alert is out of the outbox; return how many there are."""

    async def settled() -> bool:
        alerts = await _alerts(client, url)
        return bool(alerts) and all(a["status"] != "pending" for a in alerts)

    for _ in range(500):
        if await settled():
            return len(await _alerts(client, url))
        await asyncio.sleep(0.02)
    raise AssertionError("alerts still pending after 10s")


async def test_child_k_findings_reach_the_duty_manager_once_each(
    tmp_path: Path, receiver: Receiver
) -> None:
    async with httpx.AsyncClient() as client:
        with embedded(_settings(tmp_path, receiver)) as url:
            await _post_child_k(client, url)
            count = await _delivered_all(client, url)
            findings = await _findings(client, url)
        await wait_until(lambda: len(receiver.accepted) == count, what="every alert delivered")
    assert all(n == 1 for n in receiver.accepted.values())
    announced = {(f["finding_id"], f["status"]) for f in findings}
    assert len(announced) <= count  # met_late findings were first announced open


async def test_restart_and_rebuild_from_position_zero_send_nothing_again(
    tmp_path: Path, receiver: Receiver
) -> None:
    settings = _settings(tmp_path, receiver)
    async with httpx.AsyncClient() as client:
        with embedded(settings) as url:
            await _post_child_k(client, url)
            before = await _delivered_all(client, url)
            findings_before = await _findings(client, url)
        await wait_until(lambda: len(receiver.accepted) == before, what="first deliveries")
        for suffix in ("", "-wal", "-shm"):  # the read model rebuilt from position 0
            (tmp_path / f"projection.db{suffix}").unlink(missing_ok=True)
        with embedded(settings) as url:
            for _ in range(500):
                if await _findings(client, url) == findings_before:
                    break
                await asyncio.sleep(0.02)
            assert await _findings(client, url) == findings_before
            after = await _alerts(client, url)
    assert len(after) == before
    assert len(receiver.requests) == before


async def test_historical_import_pages_nobody(tmp_path: Path, receiver: Receiver) -> None:
    async with httpx.AsyncClient() as client:
        with embedded(_settings(tmp_path, receiver)) as url:
            await _post_child_k(client, url, **{"import": "historical"})
            for _ in range(500):
                if await _findings(client, url):
                    break
                await asyncio.sleep(0.02)
            alerts = await _alerts(client, url)
            findings = await _findings(client, url)
    assert findings and all(f["historical"] for f in findings)
    assert alerts and {a["status"] for a in alerts} == {"suppressed"}
    assert receiver.requests == []


async def test_duty_manager_reads_of_alerts_are_in_the_access_audit(
    tmp_path: Path, receiver: Receiver
) -> None:
    async with httpx.AsyncClient() as client:
        with embedded(_settings(tmp_path, receiver)) as url:
            await _alerts(client, url, "duty_manager")
            audit = await client.get(f"{url}/audit", headers=auth("admin"))
    assert audit.status_code == 200, audit.text
    entries = audit.json()["entries"]
    assert any(e["endpoint"] == "GET /alerts" and e["role"] == "duty_manager" for e in entries)


async def test_every_read_of_alerts_cases_and_findings_records_the_cases_it_disclosed(
    tmp_path: Path, receiver: Receiver
) -> None:
    async with httpx.AsyncClient() as client:
        with embedded(_settings(tmp_path, receiver)) as url:
            await _post_child_k(client, url)
            await _delivered_all(client, url)
            dm = auth("duty_manager")
            alert = (await _alerts(client, url, who="duty_manager"))[0]
            for method, path, body in [
                ("GET", "/cases", None),
                ("GET", "/findings", None),
                ("POST", f"/alerts/{alert['alert_id']}/ack", None),
                ("POST", f"/findings/{alert['finding_id']}/resolve", {"reason": "Held late."}),
            ]:
                answer = await client.request(method, f"{url}{path}", json=body, headers=dm)
                assert answer.status_code in (200, 201), (path, answer.text)
            audit = await client.get(
                f"{url}/audit", params={"limit": "1000"}, headers=auth("admin")
            )
            of_case = await client.get(
                f"{url}/audit",
                params={"case_id": "child-k", "limit": "1000"},
                headers=auth("admin"),
            )
    assert "GET /cases" in {e["endpoint"] for e in of_case.json()["entries"]}
    entries = {e["endpoint"]: e for e in audit.json()["entries"] if e["role"] == "duty_manager"}
    for endpoint in (
        "GET /alerts",
        "GET /cases",
        "GET /findings",
        "POST /alerts/{alert_id}/ack",
        "POST /findings/{finding_id}/resolve",
    ):
        assert entries[endpoint]["case_ids"] == ["child-k"], entries[endpoint]
        assert entries[endpoint]["case_id"] == "child-k"
