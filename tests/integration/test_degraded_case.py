"""One poison event already in the store (recorded before times were bounded at
ingest) degrades its own case and nothing else: a real ``safeguard serve`` starts,
``/cases`` and ``/findings`` answer, the case's picture is a clear Problem, the
gauge counts it; ``safeguard replay`` and ``rebuild`` name it and exit 1."""

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from events import Submission, canonical, parse_envelope
from infra.sqlite.store import SQLiteEventStore
from tests.support.console import sign_in
from tests.support.factories import make_envelope
from tests.support.ingest import KEYS, auth, credentials_toml
from tests.support.server import SafeguardProcess

POISON_AT = "0001-01-01T00:00:00+00:00"


def submission(case_id: str, type_name: str, *, occurred_at: str | None = None) -> Submission:
    """A canonical submission; ``occurred_at`` set afterwards, past the validator,
    as the store may hold it from before the bound."""
    envelope = canonical(parse_envelope(make_envelope(type_name, case_id=case_id)))
    if occurred_at is not None:
        envelope["occurred_at"] = occurred_at
    return Submission(envelope, "police")


async def seed(path: Path) -> str:
    """A healthy case with an open finding, and a poisoned one; the poison's id."""
    async with SQLiteEventStore(path) as store:
        await store.append([submission("healthy", "disclosure.made")])
        poison = submission("poisoned", "disclosure.made", occurred_at=POISON_AT)
        await store.append([submission("poisoned", "person.arrested"), poison])
        return poison.event_id


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    tmp = tmp_path_factory.mktemp("degraded")
    (tmp / "safeguard.toml").write_text(f'data_dir = "{tmp}"\n\n' + credentials_toml())
    poison_id = asyncio.run(seed(tmp / "events.db"))
    copy = tmp / "copy"  # for a rebuild, which is run with the projection stopped
    copy.mkdir()
    (copy / "safeguard.toml").write_text(f'data_dir = "{copy}"\n\n' + credentials_toml())
    (copy / "events.db").write_bytes((tmp / "events.db").read_bytes())
    yield tmp, poison_id


@pytest.fixture(scope="module")
def server(data_dir: tuple[Path, str]) -> Iterator[SafeguardProcess]:
    config = data_dir[0] / "safeguard.toml"
    with SafeguardProcess(["serve", "--config", str(config)]) as proc:
        proc.wait_healthy()
        yield proc


def get(server: SafeguardProcess, path: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers=auth("reviewer"), timeout=10)


def test_a_poison_event_in_the_store_does_not_stop_start_up_and_cases_answer(
    server: SafeguardProcess, data_dir: tuple[Path, str]
) -> None:
    response = get(server, "/cases")

    assert response.status_code == 200, response.text
    cases = {c["case_id"]: c for c in response.json()["cases"]}
    assert cases["healthy"]["degraded"] is None
    assert cases["healthy"]["open_findings"] >= 1
    assert cases["poisoned"]["events"] == 2
    assert cases["poisoned"]["degraded"] == {
        "stage": "evaluate",
        "error": "OverflowError",
        "event_id": data_dir[1],
        "position": 3,
    }


def test_findings_across_cases_answer_and_name_the_degraded_case(
    server: SafeguardProcess,
) -> None:
    response = get(server, "/findings?status=open")

    assert response.status_code == 200, response.text
    body = response.json()
    assert {f["case_id"] for f in body["findings"]} == {"healthy"}
    assert [c["case_id"] for c in body["degraded_cases"]] == ["poisoned"]


@pytest.mark.parametrize("view", ["picture", "findings", "picture?as_of=2024-03-02T00:00:00Z"])
def test_the_degraded_case_answers_a_case_degraded_problem_not_a_traceback(
    server: SafeguardProcess, data_dir: tuple[Path, str], view: str
) -> None:
    response = get(server, f"/cases/poisoned/{view}")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:safeguard:problem:case-degraded"
    assert data_dir[1] in problem["detail"] and "OverflowError" in problem["detail"]
    assert get(server, "/cases/healthy/picture").status_code == 200


def test_the_gauge_counts_the_degraded_case(server: SafeguardProcess) -> None:
    metrics = httpx.get(f"{server.url}/metrics", timeout=10).text

    assert "safeguard_projection_degraded_cases 1.0" in metrics


def test_the_log_says_which_case_degraded_and_at_which_event(
    server: SafeguardProcess, data_dir: tuple[Path, str]
) -> None:
    get(server, "/cases")  # the log line was written at start-up

    log = server.output()
    assert "case degraded" in log and data_dir[1] in log and "poisoned" in log
    assert POISON_AT not in log


@pytest.mark.parametrize(
    "command", [["replay", "--case", "poisoned", "--format", "json"], ["rebuild"]]
)
def test_replay_and_rebuild_name_the_degraded_case_and_exit_1(
    server: SafeguardProcess, data_dir: tuple[Path, str], command: list[str]
) -> None:
    tmp, poison_id = data_dir
    home = tmp / "copy" if command == ["rebuild"] else tmp
    config = ["--config", str(home / "safeguard.toml")]

    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *command, *config],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "case poisoned is degraded" in done.stderr and poison_id in done.stderr


def test_the_console_case_page_of_a_degraded_case_says_it_is_set_aside(
    server: SafeguardProcess,
) -> None:
    browser = sign_in(server.url, KEYS["reviewer"])

    page = browser.get("/console/cases/poisoned")
    then = browser.get("/console/cases/poisoned?as_of=2026-01-01T09:00")

    assert page.status_code == then.status_code == 503
    assert "set aside for repair" in page.text
    assert browser.get("/console/cases/healthy").status_code == 200


def test_the_console_case_list_shows_a_degraded_case_beside_the_healthy_ones(
    server: SafeguardProcess,
) -> None:
    browser = sign_in(server.url, KEYS["reviewer"])

    page = browser.get("/console/cases")

    assert page.status_code == 200
    assert "/console/cases/healthy" in page.text and "/console/cases/poisoned" in page.text
    assert "degraded" in page.text
