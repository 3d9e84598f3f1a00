"""Identity through the real embedded server: two agencies posting under their own
case ids and references, with no prior agreement, land in one joint case on a
shared NHS number; a probable match is proposed, not merged, until social care
confirms it; unlinking reverts the picture; a bad NHS number is a field-level 422;
searching for a person is for EDT and social care duty managers and admins, and
every search is audited."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.embedded import embedded
from tests.support.factories import make_envelope
from tests.support.ingest import auth, make_settings
from tests.support.server import wait_for

CHILD = {"name": "Ava Example", "date_of_birth": "2019-02-03", "postcode": "CF31 1AA"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    with embedded(make_settings(tmp_path)) as url, httpx.Client(base_url=url) as client:
        yield client


def post(client: httpx.Client, agency: str, envelope: dict[str, Any]) -> httpx.Response:
    return client.post(f"/{agency}/events", json=envelope, headers=auth(agency))


def posted(client: httpx.Client, agency: str, type_name: str, case_id: str, **extra: Any) -> None:
    data = extra.pop("data", None)
    envelope = make_envelope(type_name, case_id=case_id, data=data)
    envelope.update(extra)
    response = post(client, agency, envelope)
    assert response.status_code == 201, response.text


def picture(client: httpx.Client, case_id: str) -> dict[str, Any]:
    response = client.get(f"/cases/{case_id}/picture", headers=auth("reviewer"))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def linked_cases(client: httpx.Client, case_id: str) -> list[str]:
    response = client.get(f"/cases/{case_id}/picture", headers=auth("reviewer"))
    if response.status_code != 200:
        return []
    return [c["case_id"] for c in response.json()["linked_cases"]]


def subject(ref: str = "child-k", **identifiers: str) -> list[dict[str, str]]:
    return [{"ref": ref, **identifiers}]


def link(case_id: str, other: str) -> dict[str, str]:
    return {"other_case_id": other, "reason": "Checked with both agencies."}


def test_two_agencies_own_case_ids_and_a_shared_nhs_number_make_one_joint_case(
    client: httpx.Client,
) -> None:
    posted(
        client,
        "health",
        "concern.observed",
        "HB-ED-0931",
        subjects=subject(nhs_number="999 000 0018"),
        agency_case_ref="HB/ED/0931",
    )
    posted(
        client,
        "police",
        "incident.reported",
        "SWP-OCC-42",
        subjects=subject(nhs_number="9990000018"),
        agency_case_ref="SWP-OCC-20240301-42",
    )

    wait_for(
        lambda: linked_cases(client, "SWP-OCC-42") == ["HB-ED-0931", "SWP-OCC-42"],
        timeout=5.0,
        what="the joint case",
    )
    joint = picture(client, "SWP-OCC-42")
    assert joint["case_id"] == "HB-ED-0931"  # the earliest case names the joint case
    assert {row["agency"] for row in joint["chronology"]} == {"health", "police"}


def test_a_probable_match_is_proposed_not_merged_until_confirmed(client: httpx.Client) -> None:
    posted(client, "health", "concern.observed", "HB-1", subjects=subject(**CHILD))
    posted(client, "police", "incident.reported", "SWP-1", subjects=subject(**CHILD))

    def proposals() -> list[dict[str, Any]]:
        response = client.get("/links/proposals", headers=auth("duty_manager"))
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["proposals"]
        return found

    wait_for(lambda: len(proposals()) == 1, timeout=5.0, what="the proposal")
    [proposal] = proposals()
    assert [c["case_id"] for c in proposal["cases"]] == ["HB-1", "SWP-1"]
    assert "Ava" not in str(proposal)  # names cases, never the identifiers
    assert linked_cases(client, "HB-1") == ["HB-1"]

    refused = post(
        client,
        "police",
        make_envelope("link.confirmed", case_id="SWP-1", data=link("SWP-1", "HB-1")),
    )
    assert refused.status_code == 403
    posted(client, "edt", "link.confirmed", "SWP-1", data=link("SWP-1", "HB-1"))

    wait_for(
        lambda: linked_cases(client, "SWP-1") == ["HB-1", "SWP-1"],
        timeout=5.0,
        what="the confirmed link",
    )
    assert proposals() == []


def test_unlinking_reverts_the_picture(client: httpx.Client) -> None:
    posted(client, "health", "concern.observed", "HB-2", subjects=subject(nhs_number="9990000026"))
    posted(
        client, "police", "incident.reported", "SWP-2", subjects=subject(nhs_number="9990000026")
    )
    wait_for(lambda: len(linked_cases(client, "HB-2")) == 2, timeout=5.0, what="the link")

    posted(client, "children_social_care", "case.unlinked", "HB-2", data=link("HB-2", "SWP-2"))

    wait_for(lambda: linked_cases(client, "SWP-2") == ["SWP-2"], timeout=5.0, what="the split")
    agencies = {row["agency"] for row in picture(client, "HB-2")["chronology"]}
    assert agencies == {"health", "children_social_care"}  # the police event went back


def test_a_bad_nhs_number_is_a_422_at_its_field_and_stores_nothing(client: httpx.Client) -> None:
    envelope = make_envelope("concern.observed", case_id="HB-3")
    envelope["subjects"] = subject(nhs_number="999 000 0019")

    response = post(client, "health", envelope)

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "subjects", 0, "nhs_number"]]
    assert client.get("/cases/HB-3/picture", headers=auth("reviewer")).status_code == 404


@pytest.mark.parametrize("who", ["police_duty_manager", "reviewer", "police"])
def test_only_edt_and_social_care_duty_managers_and_admins_search(
    client: httpx.Client, who: str
) -> None:
    response = client.get("/people/search", params={"nhs_number": "9990000018"}, headers=auth(who))

    assert response.status_code == 403


def test_a_search_names_the_joint_cases_only_and_is_audited(client: httpx.Client) -> None:
    posted(
        client,
        "health",
        "concern.observed",
        "HB-4",
        subjects=subject(nhs_number="9990000034", **CHILD),
    )
    posted(
        client,
        "police",
        "incident.reported",
        "SWP-4",
        subjects=subject(police_person_id="NOM-4", nhs_number="9990000034"),
    )
    wait_for(lambda: len(linked_cases(client, "HB-4")) == 2, timeout=5.0, what="the link")

    by_number = client.get(
        "/people/search", params={"nhs_number": "999 000 0034"}, headers=auth("duty_manager")
    )
    by_birth = client.get(
        "/people/search",
        params={"name": "ava  EXAMPLE", "date_of_birth": "2019-02-03"},
        headers=auth("admin"),
    )
    incomplete = client.get("/people/search", params={"name": "Ava Example"}, headers=auth("admin"))
    bad_number = client.get(
        "/people/search", params={"nhs_number": "9990000035"}, headers=auth("admin")
    )

    assert by_number.json() == {
        "people": [
            {
                "case_id": "HB-4",
                "linked_cases": [{"case_id": "HB-4"}, {"case_id": "SWP-4"}],
                "matched_on": ["nhs_number"],
            }
        ]
    }
    assert by_birth.json()["people"][0]["matched_on"] == ["name_and_date_of_birth"]
    assert incomplete.status_code == 422
    assert bad_number.status_code == 422
    assert bad_number.json()["errors"][0]["loc"] == ["query", "nhs_number"]
    searches = [
        e
        for e in client.get("/audit", headers=auth("admin")).json()["entries"]
        if e["endpoint"] == "GET /people/search"
    ]
    assert len(searches) == 4
    assert {"HB-4", "SWP-4"} <= {c for e in searches for c in e["case_ids"]}
