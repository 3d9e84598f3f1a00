"""``safeguard serve`` as a real subprocess: dev config, fail-fast config, and
a SIGKILL mid-stream that loses nothing acknowledged."""

import asyncio
import os
import signal
import stat
import tomllib
from pathlib import Path

import httpx

from infra.sqlite.store import SQLiteEventStore
from tests.support.factories import make_envelope
from tests.support.ingest import auth, credentials_toml, make_credentials
from tests.support.server import SafeguardProcess, wait_for

ACKS_BEFORE_KILL = 300
CLIENTS = 16


def test_serve_without_config_writes_a_private_dev_config_and_reuses_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with SafeguardProcess(["serve", "--data-dir", str(data_dir)]) as first:
        first.wait_healthy()
        config_path = data_dir / "safeguard.toml"
        written = config_path.read_text()
        config = tomllib.loads(written)
        police_key = next(
            c["key"]
            for c in config["credentials"]
            if c.get("agency") == "police" and c["role"] == "agency"
        )
        envelope = make_envelope()
        posted = httpx.post(
            f"{first.url}/police/events",
            json=envelope,
            headers={"Authorization": f"Bearer {police_key}"},
        )
        assert str(config_path) in first.output()
        wait_for(  # the ingest log line, written by the log thread
            lambda: envelope["event_id"] in first.output(), timeout=5, what="the ingest log line"
        )
        assert police_key not in first.output()

    roles = sorted((c["role"], c.get("agency", "")) for c in config["credentials"])
    assert roles == [
        ("admin", ""),
        ("agency", "children_social_care"),
        ("agency", "edt"),
        ("agency", "education"),
        ("agency", "health"),
        ("agency", "police"),
        ("duty_manager", "edt"),
        ("reviewer", ""),
    ]
    assert stat.S_IMODE(os.stat(config_path).st_mode) == 0o600
    assert posted.status_code == 201
    assert (data_dir / "events.db").exists()
    with SafeguardProcess(["serve", "--data-dir", str(data_dir)]) as second:
        second.wait_healthy()
        again = httpx.get(
            f"{second.url}/police/events/{envelope['event_id']}",
            headers={"Authorization": f"Bearer {police_key}"},
        )
    assert config_path.read_text() == written
    assert again.status_code == 200


def test_placeholder_key_stops_start_up_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "safeguard.toml"
    config.write_text(
        credentials_toml() + '\n[[credentials]]\nrole = "reviewer"\nkey = "CHANGE-ME"\n'
    )

    proc = SafeguardProcess(["serve", "--config", str(config), "--data-dir", str(tmp_path)])
    with proc:
        code = proc.wait_exit()
        output = proc.output()

    assert code == 2
    assert f"credentials[{len(make_credentials())}].key" in output  # the one appended
    assert "CHANGE-ME" not in output


def test_sigkill_mid_stream_loses_no_acknowledged_event(tmp_path: Path) -> None:
    config = tmp_path / "safeguard.toml"
    config.write_text(credentials_toml())
    args = ["serve", "--config", str(config), "--data-dir", str(tmp_path)]

    with SafeguardProcess(args) as server:
        server.wait_healthy()
        requests, acked = asyncio.run(post_until_killed(server))
    assert len(acked) >= ACKS_BEFORE_KILL
    assert any(batch[0] not in acked for batch in requests), "the kill was not mid-stream"

    with SafeguardProcess(args) as restarted:
        restarted.wait_healthy()
        with httpx.Client(base_url=restarted.url, headers=auth("police"), timeout=10) as client:
            for event_id, position in acked.items():
                record = client.get(f"/police/events/{event_id}")
                assert record.status_code == 200, event_id
                assert record.json()["position"] == position
            after = client.post("/police/events", json=make_envelope()).json()["position"]

    stored = asyncio.run(read_positions(tmp_path / "events.db"))
    assert list(stored) == list(range(1, len(stored) + 1)), "positions have a gap"
    assert after == len(stored)
    for batch in requests:
        present = [event_id in stored.values() for event_id in batch]
        assert all(present) or not any(present), "a batch was half-written"


async def post_until_killed(
    server: SafeguardProcess,
) -> tuple[list[list[str]], dict[str, int]]:
    """Concurrent clients post singles and batches of 5 until the server dies;
    SIGKILL lands once ``ACKS_BEFORE_KILL`` events are acknowledged."""
    requests: list[list[str]] = []
    acked: dict[str, int] = {}
    enough = asyncio.Event()

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=auth("police"), timeout=10) as c:
            for sent in range(10_000):
                events = [
                    make_envelope(case_id=f"case-{number}") for _ in range(1 + 4 * (sent % 2))
                ]
                requests.append([e["event_id"] for e in events])
                body = {"events": events} if len(events) > 1 else events[0]
                try:
                    response = await c.post("/police/events", json=body)
                except httpx.TransportError:
                    return
                assert response.status_code == 201, response.text
                receipts = response.json()
                for receipt in receipts if isinstance(receipts, list) else [receipts]:
                    acked[receipt["event_id"]] = receipt["position"]
                if len(acked) >= ACKS_BEFORE_KILL:
                    enough.set()

    async def killer() -> None:
        await enough.wait()
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGKILL)

    await asyncio.gather(killer(), *(client(n) for n in range(CLIENTS)))
    assert server.proc is not None and server.proc.wait(10) == -signal.SIGKILL
    return requests, acked


async def read_positions(path: Path) -> dict[int, str]:
    async with SQLiteEventStore(path) as store:
        events = await store.read_all(1, limit=1_000_000)
    return {e.position: e.event_id for e in events}
