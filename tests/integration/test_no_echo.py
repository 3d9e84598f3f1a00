"""Error bodies never repeat what the caller sent: a mistyped field may hold a
child's name or a key pasted in the wrong place, and error bodies end up in
agency systems' logs."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.embedded import embedded
from tests.support.factories import make_envelope
from tests.support.ingest import auth, make_settings

SECRET = "sk-live-7f3a9c1e5b"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded(make_settings(tmp_path_factory.mktemp("no-echo"))) as base:
        yield base


def envelope_with(**fields: Any) -> dict[str, Any]:
    return {**make_envelope(), **fields}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (envelope_with(event_id=SECRET), ["body", "event_id"]),
        (envelope_with(occurred_at=SECRET), ["body", "occurred_at"]),
        (envelope_with(type=SECRET), ["body", "type"]),
        (envelope_with(children=SECRET), ["body", "children"]),
        (envelope_with(**{SECRET: "misplaced"}), ["body"]),
        ({"events": [envelope_with(occurred_at=SECRET)]}, ["body", "events", 0, "occurred_at"]),
        ({"events": [envelope_with(type=SECRET)]}, ["body", "events", 0, "type"]),
        ({"events": [envelope_with(**{SECRET: 1})]}, ["body", "events", 0]),
    ],
)
def test_a_rejected_event_is_located_but_its_values_are_not_repeated(
    url: str, body: dict[str, Any], loc: list[str | int]
) -> None:
    response = httpx.post(f"{url}/police/events", json=body, headers=auth("police"))

    assert response.status_code == 422
    assert SECRET not in response.text
    error = response.json()["errors"][0]
    assert error["loc"] == loc and error["msg"] and error["type"]
    assert set(error) == {"loc", "msg", "type"}


def test_a_bad_query_parameter_is_located_but_not_repeated(url: str) -> None:
    response = httpx.get(
        f"{url}/cases/case-1/picture", params={"as_of": SECRET}, headers=auth("reviewer")
    )

    assert response.status_code == 422
    assert SECRET not in response.text
    assert response.json()["errors"][0]["loc"] == ["query", "as_of"]
