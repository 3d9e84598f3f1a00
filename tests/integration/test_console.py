"""The web console over a real socket: sign-in and sign-out, no page without a
session, CSRF and Origin checks on every form, the duty manager's inbox scoped to
their agency, acknowledge and resolve from the page, and every read audited."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.config import Settings
from infra.sqlite.store import SQLiteEventStore
from services.cli.demo import post_scenario
from tests.support.console import form_token, sign_in, sign_in_response
from tests.support.embedded import embedded
from tests.support.factories import make_envelope
from tests.support.ingest import KEYS, auth, make_settings
from tests.support.notifier_kit import make_subscription
from tests.support.server import wait_for

UNANSWERED = "http://127.0.0.1:9/pager"  # nothing listens: alerts stay open (pending)


def console_settings(data_dir: Path) -> Settings:
    return make_settings(
        data_dir,
        subscriptions=[make_subscription("all-duty-managers", UNANSWERED, retry_schedule=["1h"])],
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("console")


@pytest.fixture(scope="module")
def url(data_dir: Path) -> Iterator[str]:
    """The embedded stack with Child K posted and its alerts enqueued."""
    with embedded(console_settings(data_dir)) as base:
        post_scenario(base, {a: KEYS[a] for a in ("police", "edt", "health")}, "child-k")
        wait_for(lambda: len(_alerts(base)) >= 10, timeout=15, what="Child K's alerts")
        yield base


def _alerts(url: str, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/alerts", params=params, headers=auth("admin"))
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()["alerts"]
    return alerts


def _alert(url: str, rule: str) -> dict[str, Any]:
    return next(a for a in _alerts(url) if a["rule"] == rule and a["transition"] == "open")


@pytest.mark.parametrize(
    "path",
    [
        "/console",
        "/console/inbox",
        "/console/cases",
        "/console/cases/child-k",
        "/console/cases/child-k/review.html",
        "/console/alerts/anything",
    ],
)
def test_no_page_answers_without_a_session(url: str, path: str) -> None:
    response = httpx.get(f"{url}{path}")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in?next=")


def test_a_form_posted_without_a_session_changes_nothing(url: str) -> None:
    alert = _alert(url, "protective-adult-unconfirmed")

    response = httpx.post(f"{url}/console/alerts/{alert['alert_id']}/ack", data={"note": "x"})

    assert response.status_code == 401
    assert _status(url, alert["alert_id"]) == "pending"


def test_sign_in_gives_a_secure_httponly_strict_session_cookie(url: str) -> None:
    response = sign_in_response(url, KEYS["duty_manager"], "/console/inbox")

    assert response.status_code == 303
    assert response.headers["location"] == "/console/inbox"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("safeguard_session=")
    )
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")}
    assert {"httponly", "secure", "samesite", "path"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert KEYS["duty_manager"] not in cookie


def test_sign_in_sends_only_to_pages_of_this_site(url: str) -> None:
    response = sign_in_response(url, KEYS["reviewer"], "https://evil.example/console")

    assert response.headers["location"] == "/console"


def test_sign_out_ends_the_session_on_the_server(url: str) -> None:
    browser = sign_in(url, KEYS["reviewer"])
    assert browser.get("/console/cases").status_code == 200

    signed_out = browser.submit("/console/cases", "/console/sign-out", {})

    assert signed_out.status_code == 303
    assert browser.get("/console/cases").status_code == 303  # the copied cookie is worthless


@pytest.mark.parametrize("who", ["police", "edt"])
def test_an_agency_system_key_cannot_sign_in(url: str, who: str) -> None:
    response = sign_in_response(url, KEYS[who])

    assert response.status_code == 401
    assert "safeguard_session" not in response.cookies
    assert "only post events" in response.text


def test_an_unknown_key_cannot_sign_in(url: str) -> None:
    response = sign_in_response(url, "not-a-key-0123456789abcdef")

    assert response.status_code == 401
    assert "not recognised" in response.text


def test_sign_in_form_without_its_token_is_refused(url: str) -> None:
    response = httpx.post(
        f"{url}/console/sign-in", data={"key": KEYS["reviewer"], "csrf_token": "guess"}
    )

    assert response.status_code == 403
    assert "safeguard_session" not in response.cookies


def test_edt_duty_manager_sees_the_child_k_alert_with_its_headline(url: str) -> None:
    inbox = sign_in(url, KEYS["duty_manager"]).get("/console/inbox")

    assert inbox.status_code == 200
    assert "Protective adult has not confirmed their part" in inbox.text
    assert 'href="/console/cases/child-k"' in inbox.text
    assert "Strategy discussion without police" not in inbox.text  # concerns health only


def test_police_duty_manager_cannot_see_or_act_on_an_edt_only_alert(url: str) -> None:
    police = sign_in(url, KEYS["police_duty_manager"])
    edt_only = _alert(url, "protective-adult-unconfirmed")

    inbox = police.get("/console/inbox")
    page = police.get(f"/console/alerts/{edt_only['alert_id']}")
    ack = police.post(
        f"/console/alerts/{edt_only['alert_id']}/ack",
        {"csrf_token": form_token(inbox.text), "note": "not mine"},
        Origin=url,
    )

    assert inbox.status_code == 200
    assert edt_only["alert_id"] not in inbox.text
    assert "Protective adult has not confirmed" not in inbox.text
    assert "Agencies disagree on a child" in inbox.text  # concerns police too
    assert page.status_code == 403
    assert ack.status_code == 403
    assert _status(url, edt_only["alert_id"]) == "pending"


def test_a_reviewer_has_no_inbox(url: str) -> None:
    assert sign_in(url, KEYS["reviewer"]).get("/console/inbox").status_code == 403


@pytest.mark.parametrize(
    ("token", "origin", "why"),
    [
        (None, None, "no token"),
        ("wrong", None, "wrong token"),
        ("right", "https://evil.example", "other site"),
    ],
)
def test_a_form_without_a_valid_token_or_from_another_site_is_refused(
    url: str, token: str | None, origin: str | None, why: str
) -> None:
    browser = sign_in(url, KEYS["duty_manager"])
    alert = _alert(url, "child-not-considered")
    page = browser.get(f"/console/alerts/{alert['alert_id']}")
    fields = {"note": why}
    if token is not None:
        fields["csrf_token"] = form_token(page.text) if token == "right" else token
    headers = {"Origin": origin} if origin else {}

    response = browser.post(f"/console/alerts/{alert['alert_id']}/ack", fields, **headers)

    assert response.status_code == 403
    assert _status(url, alert["alert_id"]) == "pending"


def test_duty_manager_acknowledges_with_a_note_and_sees_it_in_the_api_and_stream(
    url: str, data_dir: Path
) -> None:
    browser = sign_in(url, KEYS["duty_manager"])
    alert = _alert(url, "investigation-before-strategy-discussion")
    page = f"/console/alerts/{alert['alert_id']}"

    done = browser.submit(page, f"{page}/ack", {"note": "Rang police control room <b>now</b>"})

    assert done.status_code == 303
    after = browser.get(page).text
    assert "Rang police control room &lt;b&gt;now&lt;/b&gt;" in after
    acked = next(a for a in _alerts(url) if a["alert_id"] == alert["alert_id"])
    assert acked["status"] == "acknowledged"
    assert acked["acknowledged_by"] == "duty_manager:" + acked["acknowledged_by"].split(":")[1]
    events = _stream(data_dir, "alert.acknowledged")
    assert any(e["note"] == "Rang police control room <b>now</b>" for e in events)


def test_duty_manager_resolves_a_finding_with_a_reason_from_the_page(
    url: str, data_dir: Path
) -> None:
    browser = sign_in(url, KEYS["duty_manager"])
    alert = _alert(url, "legal-status-conflict")
    page = f"/console/alerts/{alert['alert_id']}"

    done = browser.submit(page, f"{page}/resolve", {"reason": "Agreed s20 with police at 21:00"})

    assert done.status_code == 303
    assert "Agreed s20 with police at 21:00" in browser.get(page).text
    resolved = _stream(data_dir, "finding.resolved")
    assert any(e["reason"] == "Agreed s20 with police at 21:00" for e in resolved)


def test_case_list_filters_by_rule_severity_and_agency(url: str) -> None:
    browser = sign_in(url, KEYS["reviewer"])

    matching = browser.get("/console/cases?rule=protective-adult-unconfirmed&agency=edt")
    other = browser.get("/console/cases?rule=protective-adult-unconfirmed&agency=health")

    assert 'href="/console/cases/child-k"' in matching.text
    assert 'href="/console/cases/child-k"' not in other.text


def test_case_page_shows_the_joint_picture_as_of_a_moment(url: str) -> None:
    browser = sign_in(url, KEYS["reviewer"])

    now = browser.get("/console/cases/child-k")
    then = browser.get("/console/cases/child-k?as_of=2016-12-31T02:40")

    for section in ("People", "Timeline", "Legal status per agency", "Agreements", "Obligations"):
        assert f">{section}" in now.text
    assert 'class="event-mark" data-event="26"' in now.text
    assert 'class="event-mark" data-event="1"' in then.text  # 02:30
    assert 'class="event-mark" data-event="2"' not in then.text  # 02:45
    assert browser.get("/console/cases/child-k?as_of=yesterday").status_code == 422


@pytest.mark.parametrize(
    ("fmt", "media"), [("html", "text/html"), ("md", "text/markdown"), ("json", "application/json")]
)
def test_review_document_downloads_from_the_case_page(url: str, fmt: str, media: str) -> None:
    browser = sign_in(url, KEYS["reviewer"])
    assert f"/console/cases/child-k/review.{fmt}" in browser.get("/console/cases/child-k").text

    response = browser.get(f"/console/cases/child-k/review.{fmt}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.headers["content-disposition"] == f'attachment; filename="child-k-review.{fmt}"'
    assert response.headers["cache-control"] == "no-store"  # the service-wide middleware


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/console/cases/child-k", "GET /console/cases/{case_id}"),
        ("/console/cases/child-k/review.md", "GET /console/cases/{case_id}/review.{fmt}"),
        ("/console/cases", "GET /console/cases"),
    ],
)
def test_every_console_read_is_audited_with_its_case_id(url: str, path: str, endpoint: str) -> None:
    browser = sign_in(url, KEYS["reviewer"])

    page = browser.get(path)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"

    entries = httpx.get(
        f"{url}/audit", params={"case_id": "child-k", "limit": 1000}, headers=auth("admin")
    ).json()["entries"]
    assert any(e["endpoint"] == endpoint and e["role"] == "reviewer" for e in entries)


def test_inbox_and_alert_reads_are_audited_with_their_case_id(url: str) -> None:
    browser = sign_in(url, KEYS["duty_manager"])
    alert = _alert(url, "protective-adult-unconfirmed")

    browser.get("/console/inbox")
    browser.get(f"/console/alerts/{alert['alert_id']}")

    entries = httpx.get(
        f"{url}/audit", params={"case_id": "child-k", "limit": 1000}, headers=auth("admin")
    ).json()["entries"]
    endpoints = {e["endpoint"] for e in entries if e["role"] == "duty_manager"}
    assert {"GET /console/inbox", "GET /console/alerts/{alert_id}"} <= endpoints


def _status(url: str, alert_id: str) -> str:
    status: str = next(a["status"] for a in _alerts(url) if a["alert_id"] == alert_id)
    return status


def _stream(data_dir: Path, type_: str) -> list[dict[str, Any]]:
    """Events of ``type_`` in the case stream, read from the store's file."""

    async def read() -> list[dict[str, Any]]:
        async with SQLiteEventStore(data_dir / "events.db") as store:
            return [dict(e.data) for e in await store.read_case("child-k") if e.type == type_]

    return asyncio.run(read())


LONG_CASE, LONG_EVENTS = "long-case", 450


@pytest.fixture(scope="module")
def long_case_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A stack of its own (no pager subscriptions) holding one police case of 450 events."""
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    with embedded(make_settings(tmp_path_factory.mktemp("long-case"))) as base:
        batch = [
            make_envelope(
                "concern.observed", case_id=LONG_CASE, occurred_at=start + timedelta(minutes=7 * n)
            )
            for n in range(LONG_EVENTS)
        ]
        response = httpx.post(
            f"{base}/police/events", json={"events": batch}, headers=auth("police")
        )
        assert response.status_code in (200, 201), response.text
        wait_for(lambda: _chronology_length(base) == LONG_EVENTS, timeout=15, what="the long case")
        yield base


def _chronology_length(url: str) -> int:
    response = httpx.get(f"{url}/cases/{LONG_CASE}/picture", headers=auth("reviewer"))
    return len(response.json()["chronology"]) if response.status_code == 200 else 0


def test_a_long_chronology_shows_its_latest_200_events_with_the_swimlane_complete(
    long_case_url: str,
) -> None:
    browser = sign_in(long_case_url, KEYS["reviewer"])

    page = browser.get(f"/console/cases/{LONG_CASE}").text

    assert 'id="e251"' in page and 'id="e450"' in page
    assert 'id="e250"' not in page
    assert "Events 251 to 450 of 450, 200 a page, the latest." in page
    assert 'href="?page=2#chronology-h">Earlier events' in page
    assert 'class="event-mark" data-event="1"' in page  # the swimlane has every event
    assert 'href="?page=3#e1"' in page  # a finding triggered by event 1 links to its page


def test_earlier_chronology_pages_keep_the_as_of_moment(long_case_url: str) -> None:
    browser = sign_in(long_case_url, KEYS["reviewer"])

    page = browser.get(f"/console/cases/{LONG_CASE}?as_of=2026-02-01T09:00&page=3").text

    assert 'id="e1"' in page and 'id="e50"' in page and 'id="e51"' not in page
    assert "Events 1 to 50 of 450" in page
    assert 'href="?as_of=2026-02-01T09%3A00&amp;page=2#chronology-h">Later events' in page
    assert "Earlier events" not in page
    assert 'href="#e1"' in page  # its finding's trigger is on this page
