"""The access audit through a real server: every read of a case is recorded
durably before it is answered, and only admins read the audit."""

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.embedded.app import create_embedded_app
from tests.support.factories import make_envelope
from tests.support.ingest import auth, make_settings
from tests.support.server import serve_app, wait_for

CASE = "case-audit-1"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    settings = make_settings(tmp_path)
    with (
        serve_app(lambda: create_embedded_app(settings)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        yield http


def audit(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/audit", params=params, headers=auth("admin"))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def posted(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    envelope = make_envelope(case_id=CASE, **fields)
    assert client.post("/police/events", json=envelope, headers=auth("police")).status_code == 201
    return envelope


def test_a_reviewers_read_of_a_case_appears_in_the_audit_within_one_second(
    client: httpx.Client,
) -> None:
    posted(client)
    wait_for(
        lambda: client.get(f"/cases/{CASE}/picture", headers=auth("reviewer")).status_code == 200,
        timeout=10,
        what="the projection to hold the case",
    )
    read_at = time.monotonic()
    assert client.get(f"/cases/{CASE}/picture", headers=auth("reviewer")).status_code == 200

    def reviewer_read_is_audited() -> bool:
        return any(e["role"] == "reviewer" for e in audit(client, case_id=CASE))

    wait_for(reviewer_read_is_audited, timeout=1.0, what="the audit record")
    assert time.monotonic() - read_at < 1.0
    entry = next(e for e in audit(client, case_id=CASE) if e["role"] == "reviewer")
    assert entry["name"] == "reviewer"
    assert entry["endpoint"] == "GET /cases/{case_id}/picture"
    assert entry["client"] == "127.0.0.1"
    assert len(entry["key_id"]) == 12 and entry["agency"] is None


def test_an_agency_reading_its_own_event_is_audited_with_the_event_and_case(
    client: httpx.Client,
) -> None:
    envelope = posted(client)

    response = client.get(f"/police/events/{envelope['event_id']}", headers=auth("police"))

    assert response.status_code == 200
    [entry] = [e for e in audit(client, case_id=CASE) if e["role"] == "agency"]
    assert (entry["agency"], entry["event_id"]) == ("police", envelope["event_id"])
    assert entry["endpoint"] == "GET /police/events/{event_id}"


def test_a_refused_read_discloses_nothing_and_is_audited_as_a_denial_not_a_read(
    client: httpx.Client,
) -> None:
    envelope = posted(client)

    refused = client.get(f"/police/events/{envelope['event_id']}", headers=auth("edt"))

    assert refused.status_code == 403
    assert envelope["data"]["summary"] not in refused.text and CASE not in refused.text
    assert [e for e in audit(client, case_id=CASE) if e["role"] != "admin"] == []
    [denial] = [e for e in audit(client) if e["role"] != "admin"]
    assert (denial["agency"], denial["denied"]) == ("edt", 403)
    assert denial["endpoint"] == "GET /police/events/{event_id}"


@pytest.mark.parametrize("who", ["reviewer", "duty_manager", "police"])
def test_only_admins_read_the_audit(client: httpx.Client, who: str) -> None:
    assert client.get("/audit", headers=auth(who)).status_code == 403


def test_reading_the_audit_is_itself_audited(client: httpx.Client) -> None:
    audit(client, case_id=CASE)

    entries = audit(client, case_id=CASE)

    assert [e["endpoint"] for e in entries] == ["GET /audit", "GET /audit"]


def test_the_audit_file_refuses_updates_and_deletes_and_chains_its_records(
    client: httpx.Client, tmp_path: Path
) -> None:
    posted(client)
    audit(client)
    entries = audit(client)

    with sqlite3.connect(tmp_path / "audit.db") as conn:
        for statement in ("UPDATE access SET case_id = 'x'", "DELETE FROM access"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
    assert len({e["chain_hash"] for e in entries}) == len(entries) == 2


def test_with_read_audit_switched_off_reads_work_and_the_audit_endpoint_says_so(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, trust={"audit_reads": False})
    with (
        serve_app(lambda: create_embedded_app(settings)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        envelope = posted(http)
        read = http.get(f"/police/events/{envelope['event_id']}", headers=auth("police"))
        listing = http.get("/audit", headers=auth("admin"))

    assert read.status_code == 200
    assert listing.status_code == 503
    assert not (tmp_path / "audit.db").exists()


def test_a_refused_read_of_a_case_is_logged_and_audited_as_denied(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="safeguard.access"):
        refused = client.get(f"/cases/{CASE}/picture", headers=auth("police"))
        unknown = client.get(f"/cases/{CASE}/picture", headers={"Authorization": "Bearer nope"})

    assert (refused.status_code, unknown.status_code) == (403, 401)
    denied = [e for e in audit(client, case_id=CASE) if e["denied"]]
    assert [(e["denied"], e["role"], e["endpoint"]) for e in denied] == [
        (403, "agency", "GET /cases/{case_id}/picture"),
        (401, "unknown", "GET /cases/{case_id}/picture"),
    ]
    assert denied[0]["agency"] == "police" and denied[1]["key_id"] == ""
    lines = [r for r in caplog.records if r.getMessage() == "access denied"]
    assert [getattr(r, "status", None) for r in lines] == [403, 401]
    assert all("nope" not in str(r.__dict__) for r in lines)


def test_an_agency_refused_on_the_ingest_hot_path_is_audited(client: httpx.Client) -> None:
    refused = client.post("/edt/events", json=make_envelope(case_id=CASE), headers=auth("police"))

    assert refused.status_code == 403
    entries = [e for e in audit(client) if e["denied"]]
    assert [(e["endpoint"], e["agency"]) for e in entries] == [("POST /edt/events", "police")]
