"""Case data is never cached: every routed response says ``Cache-Control: no-store``."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.embedded import embedded
from tests.support.factories import make_envelope
from tests.support.ingest import auth, make_settings

CASE_ID = "CASE-NO-STORE-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The embedded stack with one event posted; yields its URL and the event id."""
    settings = make_settings(tmp_path_factory.mktemp("no-store"))
    with embedded(settings) as url:
        envelope = make_envelope(case_id=CASE_ID)
        posted = httpx.post(f"{url}/police/events", json=envelope, headers=auth("police"))
        assert posted.status_code == 201, posted.text
        yield url, envelope["event_id"]


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/police/events/{event_id}", "police"),
        (f"/cases/{CASE_ID}/picture", "reviewer"),
        (f"/cases/{CASE_ID}/picture?as_of=2030-01-01T00:00:00Z", "reviewer"),
        (f"/cases/{CASE_ID}/findings", "reviewer"),
        ("/cases", "reviewer"),
        ("/findings", "reviewer"),
        ("/alerts", "duty_manager"),
        ("/audit", "admin"),
    ],
)
def test_every_response_carrying_case_data_says_no_store(
    server: tuple[str, str], path: str, who: str
) -> None:
    url, event_id = server

    response = httpx.get(url + path.format(event_id=event_id), headers=auth(who))

    assert response.status_code == 200, response.text
    assert response.headers.get_list("cache-control") == ["no-store"]


def test_errors_say_no_store_too(server: tuple[str, str]) -> None:
    url, _ = server

    response = httpx.get(f"{url}/cases/CASE-UNKNOWN/picture", headers=auth("reviewer"))

    assert response.status_code == 404
    assert response.headers["cache-control"] == "no-store"


def test_the_hot_ingest_post_is_served_outside_the_middleware(tmp_path: Path) -> None:
    """Every agency event goes through this path: it must not pay for a wrapper
    (a POST response is not stored by caches anyway)."""
    with embedded(make_settings(tmp_path)) as url:
        posted = httpx.post(f"{url}/police/events", json=make_envelope(), headers=auth("police"))

    assert posted.status_code == 201
    assert "cache-control" not in posted.headers
