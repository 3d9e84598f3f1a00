"""The agency ingest API through a real uvicorn server socket: every response
code, batch atomicity, limits and Problem Details; each test twice, with bodies
validated in the service and by a validation worker process."""

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends

from infra.clock import FixedClock
from infra.store.port import StoreUnavailable
from services.embedded.app import create_embedded_app
from services.http import Principal, ReaderPrincipal, require_roles
from tests.support.factories import make_envelope
from tests.support.ingest import auth, make_settings
from tests.support.server import serve_app

NOW = datetime(2024, 3, 2, 9, 0, tzinfo=UTC)


def _extra_routes() -> APIRouter:
    """Routes a later service would add, guarded by the shared dependencies."""
    router = APIRouter()

    @router.get("/test/reader")
    async def reader(who: ReaderPrincipal) -> dict[str, Any]:
        return {"role": who.role, "name": who.name}

    @router.post("/test/echo")
    async def echo(body: dict[str, Any], who: ReaderPrincipal) -> int:
        return len(body)

    @router.get("/test/admin")
    async def admin(who: Annotated[Principal, Depends(require_roles("admin"))]) -> str:
        return who.key_id

    return router


VALIDATION = {
    "inline": {"validation_workers": 0},
    "worker": {"validation_workers": 1, "offload_min_bytes": 0},
}


@pytest.fixture(params=sorted(VALIDATION))
def client(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    settings = make_settings(
        tmp_path,
        limits={"max_body_bytes": 64 * 1024, "max_json_depth": 8},
        ingest=VALIDATION[request.param],
    )

    def factory() -> Any:
        app = create_embedded_app(settings, clock=FixedClock(NOW))
        app.include_router(_extra_routes())
        return app

    with serve_app(factory) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http


def post(
    client: httpx.Client, body: Any, who: str = "police", path: str = "/police/events", **kw: Any
) -> httpx.Response:
    return client.post(path, json=body, headers=auth(who), **kw)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail", "instance"} <= problem.keys()
    assert "Traceback" not in response.text and "/work/" not in response.text
    return problem


def head(client: httpx.Client) -> int:
    """The next position the store will give, learned by recording a probe event."""
    return int(post(client, make_envelope(case_id="probe")).json()["position"])


# --- 201 / 200 / GET ------------------------------------------------------------


def test_new_event_is_recorded_with_receipt_and_readable(client: httpx.Client) -> None:
    envelope = make_envelope("incident.reported")

    response = post(client, envelope)

    assert response.status_code == 201
    receipt = response.json()
    assert receipt == {
        "event_id": envelope["event_id"],
        "position": 1,
        "recorded_at": "2024-03-02T09:00:00Z",
    }
    assert response.headers["location"] == f"/police/events/{envelope['event_id']}"
    record = client.get(response.headers["location"], headers=auth("police")).json()
    assert record["data"] == envelope["data"]
    assert record["agency"] == "police"
    assert record["position"] == 1


def test_identical_retry_returns_200_with_the_original_record(client: httpx.Client) -> None:
    envelope = make_envelope()
    first = post(client, envelope).json()

    retry = post(client, envelope)

    assert retry.status_code == 200
    assert retry.json()["position"] == first["position"]
    assert retry.json()["recorded_at"] == first["recorded_at"]
    assert retry.json()["data"] == envelope["data"]
    assert head(client) == first["position"] + 1


def test_event_id_reused_with_other_content_is_409_and_first_content_stands(
    client: httpx.Client,
) -> None:
    envelope = make_envelope(summary="first account")
    post(client, envelope)

    changed = {**envelope, "data": {**envelope["data"], "summary": "second account"}}
    problem = assert_problem(post(client, changed), 409)

    assert envelope["event_id"] in problem["detail"]
    stored = client.get(f"/police/events/{envelope['event_id']}", headers=auth("police")).json()
    assert stored["data"]["summary"] == "first account"


def test_expected_version_mismatch_is_409_and_match_is_201(client: httpx.Client) -> None:
    post(client, make_envelope(case_id="case-v"))

    stale = post(client, make_envelope(case_id="case-v"), params={"expected_version": 0})
    fresh = post(client, make_envelope(case_id="case-v"), params={"expected_version": 1})

    assert "version" in assert_problem(stale, 409)["detail"]
    assert fresh.status_code == 201


@pytest.mark.parametrize(
    ("params", "field"),
    [({"expected_version": "-1"}, "expected_version"), ({"import": "yes"}, "import")],
)
def test_a_bad_query_parameter_is_422_naming_it_and_stores_nothing(
    client: httpx.Client, params: dict[str, str], field: str
) -> None:
    envelope = make_envelope()

    problem = assert_problem(post(client, envelope, params=params), 422)

    assert [e["loc"] for e in problem["errors"]] == [["query", field]]
    missing = client.get(f"/police/events/{envelope['event_id']}", headers=auth("police"))
    assert missing.status_code == 404


def test_the_post_documents_its_query_parameters_and_security(client: httpx.Client) -> None:
    post_op = client.get("/openapi.json").json()["paths"]["/edt/events"]["post"]

    assert {p["name"] for p in post_op["parameters"]} == {"import", "expected_version"}
    assert post_op["security"] == [{"HTTPBearer": []}]


def test_batch_is_recorded_in_order_with_a_receipt_per_event(client: httpx.Client) -> None:
    events = [make_envelope(case_id=f"case-{i % 2}") for i in range(5)]

    response = post(client, {"events": events})

    assert response.status_code == 201
    assert [r["event_id"] for r in response.json()] == [e["event_id"] for e in events]
    assert [r["position"] for r in response.json()] == [1, 2, 3, 4, 5]
    assert post(client, {"events": events}).status_code == 200


# --- 422: invalid input, nothing stored -------------------------------------------


def test_invalid_field_is_422_at_the_field_and_nothing_is_stored(client: httpx.Client) -> None:
    envelope = make_envelope()
    envelope["data"]["child"] = ""

    problem = assert_problem(post(client, envelope), 422)

    assert problem["errors"] == [
        {
            "loc": ["body", "data", "child"],
            "msg": "String should have at least 1 character",
            "type": "string_too_short",
        }
    ]
    assert (
        client.get(f"/police/events/{envelope['event_id']}", headers=auth("police")).status_code
        == 404
    )
    assert head(client) == 1


def test_unknown_type_is_422_at_type_listing_what_the_agency_may_post(
    client: httpx.Client,
) -> None:
    envelope = {**make_envelope(), "type": "gossip.heard"}

    error = assert_problem(post(client, envelope, "health", "/health/events"), 422)["errors"][0]

    assert error["loc"] == ["body", "type"]
    assert "injury.identified" in error["msg"] and "incident.reported" not in error["msg"]


def test_batch_with_one_invalid_event_is_422_and_stores_nothing(client: httpx.Client) -> None:
    good = make_envelope()
    bad = make_envelope("person.released")
    bad["data"]["outcome"] = "let_off"

    problem = assert_problem(post(client, {"events": [good, bad]}), 422)

    assert [e["loc"] for e in problem["errors"]] == [["body", "events", 1, "data", "outcome"]]
    assert (
        client.get(f"/police/events/{good['event_id']}", headers=auth("police")).status_code == 404
    )
    assert head(client) == 1


def test_batch_with_one_reused_event_id_is_409_and_stores_nothing(client: httpx.Client) -> None:
    earlier = make_envelope(summary="original")
    post(client, earlier)
    good = make_envelope()
    reused = {**earlier, "data": {**earlier["data"], "summary": "rewritten"}}

    assert_problem(post(client, {"events": [good, reused]}), 409)

    assert (
        client.get(f"/police/events/{good['event_id']}", headers=auth("police")).status_code == 404
    )
    assert head(client) == 2


def test_occurred_at_beyond_clock_skew_is_422_at_occurred_at(client: httpx.Client) -> None:
    soon = make_envelope(occurred_at=NOW + timedelta(minutes=4))
    late = make_envelope(occurred_at=NOW + timedelta(minutes=6))

    problem = assert_problem(post(client, {"events": [soon, late]}), 422)

    assert [e["loc"] for e in problem["errors"]] == [["body", "events", 1, "occurred_at"]]
    assert post(client, soon).status_code == 201


def test_the_poison_time_from_the_hardening_issue_is_422_at_occurred_at_and_stores_nothing(
    client: httpx.Client,
) -> None:
    before = head(client)
    poison = {**make_envelope(), "occurred_at": "0001-01-01T00:00:00+00:00"}

    problem = assert_problem(post(client, poison), 422)

    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["body", "occurred_at"], "datetime_out_of_range")
    ]
    assert (
        client.get(f"/police/events/{poison['event_id']}", headers=auth("police")).status_code
        == 404
    )
    assert head(client) == before + 1


@pytest.mark.parametrize("when", [1709328600, "2024-03-01", "2024-03-01 21:30:00Z"])
def test_an_epoch_or_a_time_not_in_rfc3339_form_is_422_at_occurred_at(
    client: httpx.Client, when: Any
) -> None:
    batch = {"events": [make_envelope(), {**make_envelope(), "occurred_at": when}]}

    problem = assert_problem(post(client, batch), 422)

    assert [e["loc"] for e in problem["errors"]] == [["body", "events", 1, "occurred_at"]]
    assert "RFC 3339" in problem["errors"][0]["msg"]


def test_a_look_alike_ref_is_422_so_one_child_stays_one_child(client: httpx.Client) -> None:
    envelope = make_envelope("concern.observed", child="child-z", children=["child-z"])
    look_alike = {**envelope, "children": ["child\u2011z"]}

    problem = assert_problem(post(client, look_alike), 422)

    assert [e["loc"] for e in problem["errors"]] == [["body", "children", 0]]
    assert "U+2011 NON-BREAKING HYPHEN" in problem["errors"][0]["msg"]


def test_malformed_and_too_deep_json_are_422(client: httpx.Client) -> None:
    malformed = client.post("/police/events", content=b'{"event_id": ', headers=auth("police"))
    deep: Any = "leaf"
    for _ in range(10):
        deep = {"x": deep}

    assert assert_problem(malformed, 422)["errors"][0]["type"] == "json_invalid"
    assert assert_problem(post(client, deep), 422)["errors"][0]["type"] == "json_depth"


HISTORICAL = {"import": "historical"}


def test_historical_import_is_marked_in_metadata(client: httpx.Client) -> None:
    envelope = make_envelope()

    post(client, envelope, "police_importer", params=HISTORICAL)

    stored = client.get(f"/police/events/{envelope['event_id']}", headers=auth("reviewer")).json()
    assert stored["metadata"] == {"import": "historical"}
    assert_problem(post(client, make_envelope(), params={"import": "yes"}), 422)


def test_historical_import_of_events_whose_deadlines_may_still_run_needs_can_import(
    client: httpx.Client,
) -> None:
    old = make_envelope(occurred_at=NOW - timedelta(hours=73))
    recent = make_envelope(occurred_at=NOW - timedelta(hours=71))

    refused = post(client, {"events": [old, recent]}, params=HISTORICAL)

    problem = assert_problem(refused, 403)
    assert recent["event_id"] in problem["detail"] and old["event_id"] not in problem["detail"]
    assert "can_import" in problem["detail"]
    for envelope in (old, recent):
        assert (
            client.get(f"/police/events/{envelope['event_id']}", headers=auth("police")).status_code
            == 404
        )


def test_history_older_than_every_deadline_is_open_to_any_agency_key(
    client: httpx.Client,
) -> None:
    old = make_envelope(occurred_at=NOW - timedelta(days=30))

    assert post(client, old, params=HISTORICAL).status_code == 201
    assert post(client, make_envelope(), "police_importer", params=HISTORICAL).status_code == 201


# --- 401 / 403 / 413 ---------------------------------------------------------------


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic cG9saWNlOng="}]
)
def test_missing_or_unknown_key_is_401(client: httpx.Client, headers: dict[str, str]) -> None:
    response = client.post("/police/events", json=make_envelope(), headers=headers)

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_one_agency_posting_to_another_agencys_service_is_403(client: httpx.Client) -> None:
    envelope = make_envelope("concern.observed")

    assert_problem(post(client, envelope, "police", "/edt/events"), 403)
    assert_problem(post(client, envelope, "reviewer", "/edt/events"), 403)
    assert post(client, envelope, "edt", "/edt/events").status_code == 201


def test_posting_a_type_the_agency_may_not_post_is_403(client: httpx.Client) -> None:
    agreement = make_envelope("agreement.made")
    alert = make_envelope("alert.sent")

    assert "agreement.made" in assert_problem(post(client, agreement), 403)["detail"]
    assert_problem(post(client, {"events": [make_envelope(), alert]}), 403)
    assert head(client) == 1


def test_reading_is_limited_to_the_own_agency_or_reader_roles(client: httpx.Client) -> None:
    envelope = make_envelope()
    path = f"/police/events/{envelope['event_id']}"
    post(client, envelope)

    assert client.get(path, headers=auth("police")).status_code == 200
    assert client.get(path, headers=auth("reviewer")).status_code == 200
    assert_problem(client.get(path, headers=auth("health")), 403)
    assert_problem(client.get(f"/edt/events/{envelope['event_id']}", headers=auth("edt")), 404)


def test_body_over_the_limit_is_413_declared_or_streamed(client: httpx.Client) -> None:
    big = make_envelope(summary="x" * 9_000)
    body = b'{"events": [' + b",".join([httpx.Request("POST", "/", json=big).content] * 8) + b"]}"

    declared = client.post("/police/events", content=body, headers=auth("police"))
    streamed = client.post(
        "/police/events", content=iter([body[:40_000], body[40_000:]]), headers=auth("police")
    )

    assert_problem(declared, 413)
    assert_problem(streamed, 413)
    assert head(client) == 1


def test_body_limit_also_guards_routes_that_declare_a_body_model(client: httpx.Client) -> None:
    small = client.post("/test/echo", json={"a": 1}, headers=auth("reviewer"))
    chunks = iter([b'{"a": "', b"x" * 70_000, b'"}'])

    streamed = client.post("/test/echo", content=chunks, headers=auth("reviewer"))

    assert small.json() == 1
    assert_problem(streamed, 413)


def test_shared_role_dependencies_guard_routes_of_later_services(client: httpx.Client) -> None:
    assert client.get("/test/reader", headers=auth("duty_manager")).json()["role"] == "duty_manager"
    assert_problem(client.get("/test/reader", headers=auth("police")), 403)
    assert_problem(client.get("/test/admin", headers=auth("reviewer")), 403)
    assert client.get("/test/admin", headers=auth("admin")).status_code == 200


# --- discovery ----------------------------------------------------------------------


def test_schemas_are_served_for_every_type(client: httpx.Client) -> None:
    index = client.get("/schemas").json()["types"]
    schema = client.get("/schemas/injury.identified").json()

    assert {"type": "injury.identified", "posted_by": ["health"]}.items() <= next(
        t for t in index if t["type"] == "injury.identified"
    ).items()
    assert schema["properties"]["type"]["const"] == "injury.identified"
    assert {
        "type": "conference.held",
        "posted_by": ["children_social_care", "edt"],
        "schema_version": 2,
    }.items() <= next(t for t in index if t["type"] == "conference.held").items()
    assert client.get("/schemas/conference.held").json()["$id"].endswith(":v2")
    assert_problem(client.get("/schemas/gossip.heard"), 404)


def test_health_and_openapi_are_served(client: httpx.Client) -> None:
    openapi = client.get("/openapi.json").json()

    assert client.get("/healthz").json() == {"status": "ok"}
    assert "historical" in openapi["paths"]["/police/events"]["post"]["description"]
    assert_problem(client.get("/no/such/route"), 404)


@pytest.mark.parametrize("agency", ["police", "edt", "health", "education", "children_social_care"])
def test_each_agency_app_alone_serves_only_its_own_agency(tmp_path: Path, agency: str) -> None:
    module = importlib.import_module(f"services.{agency}.app")
    envelope = make_envelope("concern.observed")
    other = "health" if agency != "health" else "police"

    with serve_app(lambda: module.create_app(make_settings(tmp_path))) as url:
        own = httpx.post(f"{url}/{agency}/events", json=envelope, headers=auth(agency))
        foreign = httpx.post(f"{url}/{other}/events", json=envelope, headers=auth(other))
        schemas = httpx.get(f"{url}/schemas")

    assert own.status_code == 201
    assert_problem(foreign, 404)
    assert schemas.status_code == 200


def test_schools_post_what_they_see_and_day_teams_what_edt_does(client: httpx.Client) -> None:
    concern = make_envelope("concern.observed", actor={"role": "designated safeguarding lead"})
    discussion = make_envelope("strategy_discussion.held")

    by_school = post(client, concern, "education", "/education/events")
    school_discussion = post(client, discussion, "education", "/education/events")
    by_day_team = post(client, discussion, "children_social_care", "/children_social_care/events")

    assert by_school.status_code == 201, by_school.text
    assert (
        "may not post 'strategy_discussion.held'"
        in assert_problem(school_discussion, 403)["detail"]
    )
    assert by_day_team.status_code == 201, by_day_team.text
    v2_unsaid = {**make_envelope("plan.started")}
    del v2_unsaid["schema_version"]
    refused = post(client, v2_unsaid, "children_social_care", "/children_social_care/events")
    assert assert_problem(refused, 422)["errors"][0]["loc"] == ["body", "schema_version"]
    assert head(client) == 3  # the two accepted, then the probe


class FailingStore:
    """A hand-written fake of the store port whose appends fail: the only way to
    provoke a store outage or an internal error through a real server."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def append(self, submissions: Any, *, expected_versions: Any = None) -> Any:
        raise self.error

    async def close(self) -> None:
        return None


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (StoreUnavailable("disk I/O error at /var/lib/safeguard/events.db"), 503),
        (RuntimeError("boom in /work/main/infra/sqlite/store.py"), 500),
    ],
)
def test_store_failures_are_problems_without_internals(
    tmp_path: Path, error: Exception, status: int
) -> None:
    store: Any = FailingStore(error)

    police = importlib.import_module("services.police.app")

    with serve_app(lambda: police.create_app(make_settings(tmp_path), store=store)) as url:
        response = httpx.post(f"{url}/police/events", json=make_envelope(), headers=auth("police"))

    problem = assert_problem(response, status)
    assert "/var/lib" not in response.text and "boom" not in response.text
    assert problem["instance"] == "/police/events"
