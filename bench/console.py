"""The web console's two heavy pages, beside baselines measured in the same run.

    python -m bench.console --events 1000 --alerts 10000 --rounds 20

* case page: ``GET /console/cases/{id}`` for a case of ``--events`` events (target
  < 150 ms), beside the JSON picture of the same case (``GET /cases/{id}/picture``)
  and a bare FastAPI page returning a small HTML string;
* inbox: ``GET /console/inbox`` (first page of 25) with ``--alerts`` open alerts in
  the outbox for the duty manager's agency (target < 200 ms), beside ``GET /alerts``.

In-process over ASGI (no socket), with the embedded app's real lifespan, stores
and read audit. Alerts are written to the outbox before start-up, due in a day so
none is sent while measuring. Run it alone: two shared cores are noisy.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from services.embedded.app import create_embedded_app
from services.notifier.adapters.sqlite_outbox import SQLiteOutbox
from services.notifier.domain.routing import plan_alerts
from tests.support.console import form_token
from tests.support.factories import make_envelope
from tests.support.ingest import KEYS, auth, make_settings
from tests.support.notifier_kit import make_finding, make_subscription

CASE = "bench-case"
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def timed(call: Callable[[], Awaitable[httpx.Response]], rounds: int) -> list[float]:
    await call()  # warm
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        response = await call()
        out.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.text[:300]
    return out


async def fill_outbox(path: Path, alerts: int) -> None:
    outbox = SQLiteOutbox(path)
    await outbox.start()
    later = datetime.now(UTC) + timedelta(days=1)
    sub = make_subscription("edt-dm", "http://127.0.0.1:9/pager")
    for start in range(0, alerts, 1000):
        findings = [make_finding(n, case_id=f"case-{n % 500}") for n in range(start, start + 1000)]
        planned = [replace(a, next_attempt_at=later) for a in plan_alerts(findings, [sub], later)]
        await outbox.enqueue(planned, [f.to_json() for f in findings], [])
    await outbox.close()


async def sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/console/sign-in")
    response = await client.post(
        "/console/sign-in",
        data={"csrf_token": form_token(page.text), "key": KEYS["duty_manager"]},
        headers={"Cookie": f"safeguard_sign_in={page.cookies['safeguard_sign_in']}"},
    )
    assert response.status_code == 303, response.text[:300]
    client.headers["Cookie"] = f"safeguard_session={response.cookies['safeguard_session']}"


async def post_case(client: httpx.AsyncClient, events: int) -> None:
    for start in range(0, events, 500):
        batch = [
            make_envelope(
                "concern.observed", case_id=CASE, occurred_at=START + timedelta(minutes=7 * n)
            )
            for n in range(start, min(start + 500, events))
        ]
        response = await client.post(
            "/police/events", json={"events": batch}, headers=auth("police")
        )
        assert response.status_code in (200, 201), response.text[:300]


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/page")
    async def page() -> HTMLResponse:
        return HTMLResponse("<!DOCTYPE html><title>bare</title><p>hello</p>")

    return app


async def main(events: int, alerts: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp))
        await fill_outbox(Path(tmp) / "notifier.db", alerts)
        app = create_embedded_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                await post_case(c, events)
                await app.state.projection.wait_for(events)
                await sign_in(c)
                rows = {
                    f"case page, {events} events": await timed(
                        lambda: c.get(f"/console/cases/{CASE}"), rounds
                    ),
                    "  baseline: JSON picture": await timed(
                        lambda: c.get(f"/cases/{CASE}/picture", headers=auth("reviewer")),
                        rounds,
                    ),
                    f"inbox, {alerts} alerts, page 1": await timed(
                        lambda: c.get("/console/inbox"), rounds
                    ),
                    "  baseline: GET /alerts?limit=25": await timed(
                        lambda: c.get("/alerts?limit=25", headers=auth("duty_manager")), rounds
                    ),
                }
        bare = bare_app()
        bare_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=bare), base_url="http://b"
        )
        async with bare_client:
            rows["  baseline: bare FastAPI page"] = await timed(
                lambda: bare_client.get("/page"), rounds
            )
    for name, ms in rows.items():
        q = statistics.quantiles(ms, n=20)
        print(f"{name:34} median {statistics.median(ms):7.1f} ms   p95 {q[-1]:7.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--alerts", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.alerts, args.rounds))
