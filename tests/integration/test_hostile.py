"""Hostile input against a real ``safeguard serve`` process: oversized, deeply
nested, mis-encoded and huge-array bodies get a quick 4xx Problem, and the
server's peak memory (VmHWM) stays bounded; error bodies never leak internals."""

import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.embedded.app import create_embedded_app
from tests.support.factories import make_envelope
from tests.support.ingest import auth, credentials_toml, make_settings
from tests.support.server import SafeguardProcess, serve_app

MIB = 1024 * 1024
QUICK_SECONDS = 3.0
PEAK_GROWTH_BOUND = 32 * MIB
"""Over a warmed-up server (about 12 MiB measured): generous beside a 1 MiB body
limit, small beside what 10 MiB or 100,000-element inputs would take unguarded."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SafeguardProcess]:
    tmp = tmp_path_factory.mktemp("hostile")
    config = tmp / "safeguard.toml"
    config.write_text(f'data_dir = "{tmp}"\n\n' + credentials_toml())
    with SafeguardProcess(["serve", "--config", str(config)]) as proc:
        proc.wait_healthy()
        yield proc


def peak_rss(proc: SafeguardProcess) -> int:
    assert proc.proc is not None
    status = Path(f"/proc/{proc.proc.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def post_raw(proc: SafeguardProcess, content: Any, **headers: str) -> httpx.Response:
    started = time.monotonic()
    response = httpx.post(
        f"{proc.url}/police/events",
        content=content,
        headers={**auth("police"), "Content-Type": "application/json", **headers},
        timeout=30,
    )
    assert time.monotonic() - started < QUICK_SECONDS, "a hostile body was not refused quickly"
    return response


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for leak in ("Traceback", 'File "', ".py", "/work", "/tmp", "orjson", "pydantic"):
        assert leak not in response.text, f"{leak!r} leaked in an error body"
    return body


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"events": ["'
    for _ in range(total // size):
        yield b"a" * size


HOSTILE: dict[str, tuple[Any, int]] = {
    "10 MiB declared": (b"{" + b" " * (10 * MIB) + b"}", 413),
    "10 MiB streamed": (_chunks(10 * MIB), 413),
    "nested 50,000 deep": (b"[" * 50_000 + b"]" * 50_000, 422),
    "nested 100 deep": (b'{"a":' * 100 + b"1" + b"}" * 100, 422),
    "invalid UTF-8": (b'{"event_id": "\xff\xfe\xfd", "case_id": "c\xc3"}', 422),
    "100,000-element batch": (b'{"events": [' + b",".join([b"{}"] * 100_000) + b"]}", 422),
    "100,000-element array": (b"[" + b",".join([b"1"] * 100_000) + b"]", 422),
    "100,000 children": (
        b'{"type": "concern.observed", "children": [' + b",".join([b'"c"'] * 100_000) + b"]}",
        422,
    ),
}


def test_hostile_bodies_get_a_quick_4xx_problem_with_memory_bounded(
    server: SafeguardProcess,
) -> None:
    post_raw(server, make_envelope_bytes())  # warm up every code path once
    before = peak_rss(server)

    for name, (content, status) in HOSTILE.items():
        content = content() if callable(content) else content
        assert_problem(post_raw(server, content), status), name

    growth = peak_rss(server) - before
    assert growth < PEAK_GROWTH_BOUND, f"peak RSS grew by {growth / MIB:.1f} MiB"
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def make_envelope_bytes(**fields: Any) -> bytes:
    return httpx.Request("POST", "/", json=make_envelope(**fields)).read()


def test_a_string_over_the_text_limit_is_422_at_its_field(server: SafeguardProcess) -> None:
    envelope = make_envelope("concern.observed")
    envelope["data"]["concern"] = "x" * 10_001

    body = assert_problem(post_raw(server, make_json(envelope)), 422)

    assert body["errors"][0]["loc"] == ["body", "data", "concern"]
    assert "x" * 100 not in str(body)  # the input is never echoed back


def make_json(obj: Any) -> bytes:
    return httpx.Request("POST", "/", json=obj).read()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no/such/route", 404), ("DELETE", "/police/events", 405), ("PUT", "/healthz", 405)],
)
def test_framework_errors_are_problem_details_too(
    server: SafeguardProcess, method: str, path: str, status: int
) -> None:
    response = httpx.request(method, f"{server.url}{path}", headers=auth("police"))

    assert_problem(response, status)


def test_refs_are_stored_in_unicode_nfc_whatever_form_was_sent(server: SafeguardProcess) -> None:
    decomposed = unicodedata.normalize("NFD", "zoë-ångström")
    envelope = make_envelope("concern.observed", child=decomposed, children=[decomposed])
    assert post_raw(server, make_json(envelope)).status_code == 201

    stored = httpx.get(
        f"{server.url}/police/events/{envelope['event_id']}", headers=auth("police")
    ).json()

    composed = unicodedata.normalize("NFC", decomposed)
    assert decomposed != composed
    assert stored["children"] == [composed] and stored["data"]["child"] == composed


def test_a_share_about_an_event_the_case_lacks_is_recorded_and_flagged(
    server: SafeguardProcess,
) -> None:
    known = make_envelope(case_id="case-refs")
    assert post_raw(server, make_json(known)).status_code == 201
    missing = "00000000-0000-4000-8000-00000000dead"
    share = make_envelope(
        "information.shared", case_id="case-refs", about=[known["event_id"], missing]
    )

    response = post_raw(server, make_json(share))
    stored = httpx.get(
        f"{server.url}/police/events/{share['event_id']}", headers=auth("police")
    ).json()

    assert response.status_code == 201
    assert stored["metadata"]["unresolved_refs"] == [missing]


def test_a_share_about_events_of_its_own_case_or_batch_is_not_flagged(
    server: SafeguardProcess,
) -> None:
    known = make_envelope(case_id="case-refs-2")
    share = make_envelope("information.shared", case_id="case-refs-2", about=[known["event_id"]])

    response = post_raw(server, make_json({"events": [known, share]}))
    stored = httpx.get(
        f"{server.url}/police/events/{share['event_id']}", headers=auth("police")
    ).json()

    assert response.status_code == 201
    assert "unresolved_refs" not in stored["metadata"]


def test_an_unhandled_error_is_a_generic_500_problem_without_internals(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)

    def factory() -> FastAPI:
        app = create_embedded_app(settings)

        @app.get("/test/crash")
        async def crash() -> None:
            raise RuntimeError(f"secret detail at {__file__}")

        return app

    with serve_app(factory) as url:
        response = httpx.get(f"{url}/test/crash")

    body = assert_problem(response, 500)
    assert "secret" not in response.text and body["detail"] == "an unexpected error occurred"
