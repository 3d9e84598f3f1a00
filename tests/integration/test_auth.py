"""Credentials through real servers: agency isolation, the failed-auth limit,
and key rotation without a restart (file change and SIGHUP)."""

import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.embedded.app import create_embedded_app
from tests.support.factories import make_envelope
from tests.support.ingest import KEYS, auth, credentials_toml, make_settings, strong_key
from tests.support.server import SafeguardProcess, serve_app, wait_for

WRONG = {"Authorization": "Bearer not-a-key-but-a-guess-0000000000"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx.Client]:
    settings = make_settings(tmp_path, trust={"auth_failures_per_minute": 10})
    with (
        serve_app(lambda: create_embedded_app(settings)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        yield http


def test_a_police_key_cannot_read_edt_events(client: httpx.Client) -> None:
    envelope = make_envelope("concern.observed", case_id="case-iso")
    assert client.post("/edt/events", json=envelope, headers=auth("edt")).status_code == 201

    as_police = client.get(f"/edt/events/{envelope['event_id']}", headers=auth("police"))
    as_edt = client.get(f"/edt/events/{envelope['event_id']}", headers=auth("edt"))

    assert as_police.status_code == 403
    assert as_police.headers["content-type"] == "application/problem+json"
    assert as_edt.status_code == 200


def test_an_agency_key_cannot_read_the_joint_picture(client: httpx.Client) -> None:
    assert client.get("/cases/case-iso/picture", headers=auth("police")).status_code == 403


def test_ten_wrong_keys_from_one_address_then_429_with_retry_after_even_for_a_right_key(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="safeguard.auth")
    guesses = [client.get("/findings", headers=WRONG).status_code for _ in range(10)]

    limited = client.get("/findings", headers=WRONG)
    right_key = client.get("/findings", headers=auth("reviewer"))

    assert guesses == [401] * 10
    assert limited.status_code == right_key.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["content-type"] == "application/problem+json"
    failures = [r for r in caplog.records if r.getMessage() == "authentication failed"]
    assert len(failures) == 10
    assert "not-a-key" not in caplog.text


def test_public_routes_stay_open_to_a_limited_address(client: httpx.Client) -> None:
    for _ in range(10):
        client.get("/findings", headers=WRONG)

    assert client.get("/healthz").status_code == 200
    assert client.get("/schemas").status_code == 200


NEW_POLICE_KEY = "rotated-police-key-0123456789abcd"


def _config(tmp_path: Path, police_key: str) -> str:
    return f'data_dir = "{tmp_path}"\n\n' + credentials_toml().replace(KEYS["police"], police_key)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[SafeguardProcess, Path]]:
    config = tmp_path / "safeguard.toml"
    config.write_text(_config(tmp_path, KEYS["police"]))
    with SafeguardProcess(["serve", "--config", str(config)]) as proc:
        proc.wait_healthy()
        yield proc, config


def _status(proc: SafeguardProcess, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.get(
        f"{proc.url}/police/events/{make_envelope()['event_id']}", headers=headers
    ).status_code


def test_a_rotated_key_works_once_the_config_file_changes_without_a_restart(
    server: tuple[SafeguardProcess, Path], tmp_path: Path
) -> None:
    proc, config = server
    assert _status(proc, KEYS["police"]) == 404  # authenticated; no such event

    config.write_text(_config(tmp_path, NEW_POLICE_KEY))

    wait_for(lambda: "credentials reloaded" in proc.output(), timeout=10, what="the reload")
    assert _status(proc, NEW_POLICE_KEY) == 404
    assert _status(proc, KEYS["police"]) == 401


def test_sighup_reloads_the_keys_even_when_the_file_looks_unchanged(
    server: tuple[SafeguardProcess, Path], tmp_path: Path
) -> None:
    proc, config = server
    before = config.stat()
    same_length = NEW_POLICE_KEY[: len(KEYS["police"])]
    config.write_text(_config(tmp_path, same_length))
    os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))  # hide it from the watcher
    assert proc.proc is not None

    proc.proc.send_signal(signal.SIGHUP)

    wait_for(lambda: "credentials reloaded" in proc.output(), timeout=10, what="the reload")
    assert _status(proc, same_length) == 404
    assert _status(proc, KEYS["police"]) == 401


def test_a_broken_config_keeps_the_keys_in_force(
    server: tuple[SafeguardProcess, Path],
) -> None:
    proc, config = server
    config.write_text(config.read_text().replace(KEYS["police"], "CHANGE-ME"))
    assert proc.proc is not None

    proc.proc.send_signal(signal.SIGHUP)

    wait_for(lambda: "credentials not reloaded" in proc.output(), timeout=10, what="the refusal")
    assert _status(proc, KEYS["police"]) == 404
    assert "CHANGE-ME" not in proc.output()


def _limited_server(tmp_path: Path, top_level: str = "") -> SafeguardProcess:
    config = tmp_path / "safeguard.toml"
    config.write_text(
        f'{top_level}data_dir = "{tmp_path}"\n\n'
        + credentials_toml()
        + "\n[trust]\nauth_failures_per_minute = 3\n"
    )
    return SafeguardProcess(["serve", "--config", str(config)])


def _as(client: str, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-Forwarded-For": client}


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_neither_resets_nor_dodges_the_limit(
    tmp_path: Path,
) -> None:
    with _limited_server(tmp_path) as proc:
        proc.wait_healthy()
        url = f"{proc.url}/findings"
        guesses = [
            httpx.get(url, headers=_as(f"198.51.100.{n}", strong_key())).status_code
            for n in range(3)
        ]

        right_key = httpx.get(url, headers=_as("198.51.100.99", KEYS["reviewer"]))

    assert guesses == [401] * 3
    assert right_key.status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_is_limited_on_its_own(
    tmp_path: Path,
) -> None:
    with _limited_server(tmp_path, 'forwarded_allow_ips = "127.0.0.1"\n') as proc:
        proc.wait_healthy()
        url = f"{proc.url}/findings"
        for _ in range(3):
            httpx.get(url, headers=_as("203.0.113.7", strong_key()))

        guesser = httpx.get(url, headers=_as("203.0.113.7", KEYS["reviewer"]))
        neighbour = httpx.get(url, headers=_as("203.0.113.8", KEYS["reviewer"]))

    assert guesser.status_code == 429
    assert neighbour.status_code == 200


def test_one_wrong_key_tried_from_rotating_addresses_is_limited_by_the_key(
    tmp_path: Path,
) -> None:
    guess = strong_key()
    with _limited_server(tmp_path, 'forwarded_allow_ips = "127.0.0.1"\n') as proc:
        proc.wait_healthy()
        url = f"{proc.url}/findings"
        tries = [httpx.get(url, headers=_as(f"203.0.113.{n}", guess)).status_code for n in range(4)]
        others = httpx.get(url, headers=_as("203.0.113.50", KEYS["reviewer"]))
        output = proc.output()

    assert tries == [401, 401, 401, 429]
    assert others.status_code == 200
    assert guess not in output
