"""Validation worker processes: a worker that dies is replaced without failing a
request, and workers leave when the service is killed. (That workers answer
exactly as inline validation does is ``test_ingest_api``, run both ways.)"""

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.ingest.app import create_agency_app
from tests.support.factories import make_envelope
from tests.support.ingest import auth, credentials_toml, make_settings
from tests.support.server import SafeguardProcess, serve_app, wait_for

WORKERS = {"validation_workers": 1, "offload_min_bytes": 0}


def workers_of(pid: int) -> set[int]:
    """Child processes of ``pid`` running a multiprocessing worker."""
    children = {
        int(child)
        for task in os.listdir(f"/proc/{pid}/task")
        for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()
    }
    return {c for c in children if _alive(c) and b"spawn_main" in _cmdline(c)}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def batch(n: int = 3) -> dict[str, Any]:
    return {"events": [make_envelope(case_id="case-w") for _ in range(n)]}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    settings = make_settings(tmp_path, ingest=WORKERS)
    with (
        serve_app(lambda: create_agency_app("police", settings)) as url,
        httpx.Client(base_url=url, timeout=20) as http,
    ):
        yield http


def test_a_killed_worker_is_replaced_and_no_request_fails(client: httpx.Client) -> None:
    assert client.post("/police/events", json=batch(), headers=auth("police")).status_code == 201
    (worker,) = workers_of(os.getpid())

    os.kill(worker, signal.SIGKILL)
    wait_for(lambda: not _alive(worker), timeout=10, what="the worker to die")

    bodies = [batch() for _ in range(3)]
    for body in bodies:  # the first finds the pool broken: validated inline, and replaced
        response = client.post("/police/events", json=body, headers=auth("police"))
        assert response.status_code == 201, response.text
    (replacement,) = workers_of(os.getpid())
    assert replacement != worker
    for body in bodies:
        for event in body["events"]:
            read = client.get(f"/police/events/{event['event_id']}", headers=auth("police"))
            assert read.status_code == 200


def test_workers_leave_when_the_service_is_killed(tmp_path: Path) -> None:
    """kill -9 tells a pool's workers nothing; each watches its parent and leaves."""
    config = tmp_path / "safeguard.toml"
    config.write_text(credentials_toml())
    env = {
        "SAFEGUARD_CONFIG": str(config),
        "SAFEGUARD_DATA_DIR": str(tmp_path / "data"),
        "SAFEGUARD_INGEST__OFFLOAD_MIN_BYTES": "0",
    }
    with SafeguardProcess(["run", "police"], env=env) as service:
        service.wait_healthy()
        assert service.proc is not None
        posted = httpx.post(
            f"{service.url}/police/events", json=batch(), headers=auth("police"), timeout=20
        )
        assert posted.status_code == 201, posted.text
        workers = workers_of(service.proc.pid)
        assert workers

        service.kill()

        wait_for(
            lambda: not any(_alive(w) for w in workers), timeout=10, what="the workers to leave"
        )
