"""The compose gateway's nginx config, run by a real nginx on loopback in front of
a real Safeguard: the access log names routes, never ids; the gateway's own
errors are Problem Details; its ``/healthz`` follows the services behind it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.embedded.app import create_embedded_app
from tests.integration.test_compose import SAFEGUARD_SERVICES, load_compose
from tests.support.factories import make_envelope
from tests.support.ingest import auth, make_settings
from tests.support.server import free_port, killed_on_exit, serve_app, wait_for
from tests.support.tansu import wait_for_port

CASE_ID = "CASE-GATEWAY-7f3a9c"
EVENT_ID = "3f0c9d52-6a1e-4d7b-9b1e-5a7c2e4f8d10"
SECRET_QUERY = "as_of=2030-01-01T00:00:00Z&token=sk-query-9c1e"


@dataclass
class Gateway:
    url: str
    access_log: Path
    error_log: Path

    def log_text(self) -> str:
        return self.access_log.read_text() + self.error_log.read_text()


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
    )
    if found is None:
        pytest.skip("nginx not installed (apt-get install nginx-light)")
    return found


def render(config: str, port: int, upstreams: dict[str, str], root: Path) -> str:
    """The compose config for loopback: ``$$`` unescaped, each service's host
    replaced by its test address, the listen port and log files moved."""
    text = config.replace("$$", "$").replace("8080", str(port))
    for name in SAFEGUARD_SERVICES:
        text = text.replace(f"http://{name}:8000", f"http://{upstreams[name]}")
    text = text.replace("/dev/stdout", str(root / "access.log"))
    return text.replace("/dev/stderr", str(root / "error.log"))


@contextmanager
def running_gateway(root: Path, upstreams: dict[str, str]) -> Iterator[Gateway]:
    binary, port = nginx_binary(), free_port()
    root.mkdir(parents=True, exist_ok=True)
    (root / "gateway.conf").write_text(
        render(load_compose()["configs"]["gateway"]["content"], port, upstreams, root)
    )
    temp = " ".join(f"{kind}_temp_path {root};" for kind in ("client_body", "proxy", "fastcgi"))
    # One process (no master and workers): stopping it leaves no orphan worker.
    (root / "nginx.conf").write_text(
        f"daemon off; master_process off; pid {root}/nginx.pid;"
        f" error_log {root}/main-error.log; events {{}}"
        f" http {{ {temp} include {root}/gateway.conf; }}"
    )
    for log in ("access.log", "error.log"):
        (root / log).touch()
    proc = subprocess.Popen(
        [binary, "-p", str(root), "-c", str(root / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with killed_on_exit(proc):
        wait_for_port(port, proc, 10)
        yield Gateway(f"http://127.0.0.1:{port}", root / "access.log", root / "error.log")
        proc.terminate()
        proc.wait(5)


@pytest.fixture
def safeguard(tmp_path: Path) -> Iterator[str]:
    """The embedded app: it serves every path and ``/healthz``, so it can stand
    for each service behind the gateway."""
    settings = make_settings(tmp_path / "data")
    with serve_app(lambda: create_embedded_app(settings)) as url:
        yield url.removeprefix("http://")


def all_at(address: str) -> dict[str, str]:
    return dict.fromkeys(SAFEGUARD_SERVICES, address)


def closed_address() -> str:
    return f"127.0.0.1:{free_port()}"  # nothing listens there


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:safeguard:problem:")


def test_access_log_names_routes_without_ids_query_strings_or_keys(
    tmp_path: Path, safeguard: str
) -> None:
    with running_gateway(tmp_path, all_at(safeguard)) as gateway:
        envelope = make_envelope(case_id=CASE_ID, event_id=EVENT_ID)
        posted = httpx.post(f"{gateway.url}/police/events", json=envelope, headers=auth("police"))
        assert posted.status_code == 201, posted.text
        reads = [
            f"/police/events/{EVENT_ID}",
            f"/cases/{CASE_ID}/picture?{SECRET_QUERY}",
            f"/cases/{CASE_ID}/findings",
            f"/alerts/{EVENT_ID}",
            f"/findings/{EVENT_ID}/resolve",
        ]
        for path in reads:
            httpx.get(f"{gateway.url}{path}", headers=auth("reviewer"))
        wait_for(
            lambda: gateway.access_log.read_text().count("\n") >= 1 + len(reads),
            timeout=5,
            what="access log lines",
        )

        logged = gateway.log_text()

    assert '"route":"/police/events"' in logged
    assert '"route":"/cases/{case_id}/picture"' in logged
    assert '"route":"/police/events/{event_id}"' in logged
    for secret in (CASE_ID, EVENT_ID, "sk-query-9c1e", "as_of", *auth("reviewer").values()):
        assert secret not in logged
    assert not re.search(r"Bearer|test-\w+-key", logged)


def test_health_is_ok_only_while_every_service_behind_it_is(tmp_path: Path, safeguard: str) -> None:
    with running_gateway(tmp_path / "up", all_at(safeguard)) as gateway:
        healthy = httpx.get(f"{gateway.url}/healthz")
    for down in ("police", "relay"):
        upstreams = {**all_at(safeguard), down: closed_address()}
        with running_gateway(tmp_path / down, upstreams) as gateway:
            unhealthy = httpx.get(f"{gateway.url}/healthz")

        assert_problem(unhealthy, 503)
    assert healthy.status_code == 200
    assert healthy.json() == {"status": "ok"}


def test_the_gateways_own_errors_are_problem_details(tmp_path: Path, safeguard: str) -> None:
    upstreams = {**all_at(safeguard), "projection": closed_address()}
    with running_gateway(tmp_path, upstreams) as gateway:
        unrouted = httpx.get(f"{gateway.url}/no/such/path")
        upstream_down = httpx.get(
            f"{gateway.url}/cases/{CASE_ID}/picture", headers=auth("reviewer")
        )
        too_large = httpx.post(
            f"{gateway.url}/police/events", content=b"x" * (3 * 1024 * 1024), headers=auth("police")
        )
        internal_hop = httpx.get(f"{gateway.url}/_ready/police")
        from_service = httpx.get(f"{gateway.url}/police/events/{EVENT_ID}", headers=auth("police"))

    assert_problem(unrouted, 404)
    assert_problem(upstream_down, 502)
    assert_problem(too_large, 413)
    assert_problem(internal_hop, 404)
    assert_problem(from_service, 404)  # the service's own Problem passes through
    assert from_service.json()["instance"] == f"/police/events/{EVENT_ID}"
