"""The console in a real browser against a real ``safeguard serve --demo``: the EDT
duty manager signs in, finds the Child K alert, opens the case, acknowledges the
alert, and the acknowledgement is in ``GET /alerts`` and in the stream. A police
key gets no inbox. axe-core finds no serious accessibility violation on the inbox,
the case page or the review document. Screenshots go to ``test-artifacts/console``.

Needs Debian's chromium (``/usr/bin/chromium``) and axe-core from
``npm ci --prefix tests/e2e``; without them the tests are skipped, saying which.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.sqlite.store import SQLiteEventStore
from tests.support.server import REPO, SafeguardProcess, wait_for

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts" / "console"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ALERT = "Protective adult has not confirmed their part"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)
if not AXE.exists():
    pytest.skip("no axe-core (npm ci --prefix tests/e2e)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SafeguardProcess, Path]]:
    data = tmp_path_factory.mktemp("console-e2e") / "data"
    with SafeguardProcess(["serve", "--demo", "--data-dir", str(data)]) as proc:
        proc.wait_healthy()
        admin = {"Authorization": f"Bearer {key(data, 'admin')}"}
        wait_for(
            lambda: len(httpx.get(f"{proc.url}/alerts", headers=admin).json()["alerts"]) >= 10,
            timeout=30,
            what="the demo's alerts",
        )
        yield proc, data


def key(data: Path, role: str, agency: str | None = None) -> str:
    config = tomllib.loads((data / "safeguard.toml").read_text())
    return str(
        next(
            c["key"]
            for c in config["credentials"]
            if c["role"] == role and (agency is None or c.get("agency") == agency)
        )
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {ARTIFACTS}")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def sign_in(browser: Any, url: str, secret: str) -> Any:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{url}/console/inbox")
    page.fill("#key", secret)
    page.click("button[type=submit]")
    return page


def serious_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run()).violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))"""
    )
    return found


def test_edt_duty_manager_finds_the_alert_opens_the_case_and_acknowledges_it(
    server: tuple[SafeguardProcess, Path], browser: Any
) -> None:
    proc, data = server
    page = sign_in(browser, proc.url, key(data, "duty_manager"))
    assert page.url.endswith("/console/inbox")
    page.get_by_role("link", name=ALERT).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)
    assert serious_violations(page) == []

    page.get_by_role("link", name=ALERT).first.click()
    alert_url = page.url
    alert_id = alert_url.rsplit("/", 1)[1]
    page.get_by_role("link", name="child-k").first.click()
    page.get_by_role("heading", name="Case child-k").wait_for()
    page.screenshot(path=str(ARTIFACTS / "case.png"), full_page=True)
    assert serious_violations(page) == []

    page.goto(alert_url)
    page.fill("#note", "Called the grandmother; she confirms she is caring for both children.")
    page.get_by_role("button", name="Acknowledge").click()
    page.locator("#ack-note").wait_for()
    assert "Called the grandmother" in page.inner_text("#ack")

    admin = {"Authorization": f"Bearer {key(data, 'admin')}"}
    acked = httpx.get(f"{proc.url}/alerts/{alert_id}", headers=admin).json()
    assert acked["status"] == "acknowledged"
    assert acked["acknowledged_by"] == "edt-duty-manager"
    assert any("Called the grandmother" in str(e.get("note")) for e in _acks(data))


def test_review_document_opens_from_the_case_page(
    server: tuple[SafeguardProcess, Path], browser: Any
) -> None:
    proc, data = server
    page = sign_in(browser, proc.url, key(data, "reviewer"))
    page.goto(f"{proc.url}/console/cases/child-k")
    href = page.get_by_role("link", name="HTML").get_attribute("href")

    document = page.request.get(f"{proc.url}{href}")
    assert document.ok and "attachment" in document.headers["content-disposition"]
    page.set_content(document.text())
    page.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)

    assert serious_violations(page) == []


def test_a_police_key_gets_no_inbox(server: tuple[SafeguardProcess, Path], browser: Any) -> None:
    proc, data = server
    page = sign_in(browser, proc.url, key(data, "agency", "police"))

    assert "/console/sign-in" in page.url
    assert "only post events" in page.inner_text("#sign-in-error")
    page.goto(f"{proc.url}/console/inbox")
    assert "/console/sign-in" in page.url
    assert ALERT not in page.content()


def _acks(data: Path) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        async with SQLiteEventStore(data / "events.db") as store:
            events = await store.read_case("child-k")
            return [dict(e.data) for e in events if e.type == "alert.acknowledged"]

    with ThreadPoolExecutor(1) as pool:  # Playwright's own loop runs in this thread
        return pool.submit(asyncio.run, read()).result()
