"""Three projection members and two notifiers on tansu, killed (SIGKILL) and
restarted at random while a generated workload streams in, end as one would.

Given ``safeguard run projection`` x3 (one group, one shared read model) and
``safeguard run notifier`` x2 (one group, one outbox) with the relay filling a
6-partition topic, when members are killed and restarted at random during the
workload, then once the group settles:
- every projection answers ``/findings`` exactly as the store-fed reference;
- no partition (so no case) is owned by two members of a group;
- nothing announced comes from half a case's history, and the whole history's
  findings are all announced (see ``tests/support/prefixes``);
- each alert reached the receiver once, but those in flight at a notifier's
  kill, which may come twice with the same webhook-id.
"""

import asyncio
import contextlib
import os
import random
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.workload import workload
from events.records import RecordedEvent
from infra.clock import SystemClock
from infra.config import Settings
from infra.config.stream import KafkaSettings
from infra.sqlite.store import SQLiteEventStore
from services.embedded.dev_config import ensure_dev_config
from services.projection.bootstrap import running_projection
from services.projection.service import ProjectionService
from services.relay.relay import running_relay
from tests.integration.test_kafka_projection_restart import reviewer_key
from tests.integration.test_notifier_failover import claimed
from tests.support.member_process import Member
from tests.support.notifier_kit import SECRET
from tests.support.prefixes import prefix_findings
from tests.support.receiver import Receiver
from tests.support.server import free_port

pytestmark = pytest.mark.kafka

CASES, PER_CASE, PARTITIONS, KILLS = 60, 20, 6, 6
Announcement = tuple[str, str]


def write_config(tmp: Path, receiver: Receiver) -> Path:
    config, _ = ensure_dev_config(tmp)
    with config.open("a") as file:
        file.write(
            '\n[notifier]\nlease_ttl_seconds = 2\njitter = 0\ndefault_retry_schedule = ["200ms"]\n'
            f'[[subscriptions]]\nname = "duty"\nurl = "{receiver.url}"\nsecret = "{SECRET}"\n'
            'retry_schedule = ["200ms"]\nallow_private = true\n'
        )
    return config


def member_env(config: Path, data: Path, tansu: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SAFEGUARD_CONFIG": str(config),
        "SAFEGUARD_DATA_DIR": str(data),
        "SAFEGUARD_PUBLIC_URL": "https://safeguard.example.org",
        "SAFEGUARD_LOG_LEVEL": "INFO",
        "SAFEGUARD_STORE__SQLITE_PATH": str(data / "events.db"),
        "SAFEGUARD_STORE__FEED": "kafka",
        "SAFEGUARD_KAFKA__BOOTSTRAP_SERVERS": tansu,
        "SAFEGUARD_KAFKA__ENABLE_IDEMPOTENCE": "false",
        "SAFEGUARD_KAFKA__PARTITIONS": str(PARTITIONS),
        "SAFEGUARD_KAFKA__SESSION_TIMEOUT_MS": "1500",
        **extra,
    }


async def served(port: int, key: str) -> set[Announcement] | None:
    """A projection's ``/findings``, every page, as (finding, status); None while it starts."""
    found: set[Announcement] = set()
    params = {"limit": "1000"}
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            try:
                response = await client.get(
                    f"http://127.0.0.1:{port}/findings",
                    params=params,
                    headers={"Authorization": f"Bearer {key}"},
                )
            except httpx.HTTPError:
                return None
            if response.status_code != 200:
                return None
            body = response.json()
            found |= {(f["finding_id"], f["status"]) for f in body["findings"]}
            if body.get("next") is None:
                return found
            params["after"] = body["next"]


def alerts(outbox: Path) -> list[dict[str, Any]]:
    if not outbox.exists():
        return []
    with closing(sqlite3.connect(f"file:{outbox}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT alert_id, finding_id, transition, delivery FROM alerts")
        return [dict(row) for row in rows]


def owned_once(members: list[Member]) -> bool:
    owned = [member.owned() for member in members]
    return sum(map(len, owned)) == PARTITIONS and frozenset().union(*owned) == set(
        range(PARTITIONS)
    )


async def unsettled(
    projections: list[Member],
    notifiers: list[Member],
    ports: list[int],
    key: str,
    outbox: Path,
    expected: set[Announcement],
) -> dict[str, object]:
    """What is not yet as it should end (empty once settled)."""
    waiting: dict[str, object] = {}
    reads = [await served(port, key) for port in ports]
    if reads != [expected] * 3:
        waiting["reads"] = [
            None if r is None else (len(r - expected), len(expected - r)) for r in reads
        ]
    delivered = {
        (a["finding_id"], a["transition"]) for a in alerts(outbox) if a["delivery"] == "delivered"
    }
    if not expected <= delivered:
        waiting["undelivered"] = len(expected - delivered)
    for group in (projections, notifiers):
        if not owned_once(group):
            waiting[group[0].role] = [sorted(m.owned()) for m in group]
    return waiting


async def until_settled(check: Callable[[], Awaitable[dict[str, object]]]) -> None:
    """Poll other processes' state under a deadline; say what never settled."""
    waiting: dict[str, object] = {}
    try:
        async with asyncio.timeout(60):
            while waiting := await check():  # noqa: ASYNC110 - state of other processes
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"the group did not settle: {waiting}") from None


async def until_working(member: Member) -> None:
    """Up to a few seconds for the member to own partitions: a kill then hits work
    in progress rather than a process still importing."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(5):
            while not member.owned():  # noqa: ASYNC110 - another process's log
                await asyncio.sleep(0.05)


async def reference_findings(reference: ProjectionService) -> set[Announcement]:
    """Every finding of the store-fed reference, a page of its model at a time."""
    found: set[Announcement] = set()
    after = None
    while True:
        page, _ = await reference.findings_page(limit=1000, after=after, agency=None, status=None)
        found |= {(f["finding_id"], f["status"]) for f in page.rows}
        if (after := page.next) is None:
            return found


async def test_killed_and_restarted_members_end_with_the_reference_findings_and_one_alert_each(
    tansu: str, tmp_path: Path, receiver: Receiver
) -> None:
    rng = random.Random(13)
    config = write_config(tmp_path, receiver)
    key = reviewer_key(config)
    ports = [free_port() for _ in range(3)]
    logs = tmp_path / "logs"
    logs.mkdir()
    projections = [
        Member(
            "projection",
            f"projection-{n}",
            member_env(config, tmp_path / "projection", tansu, SAFEGUARD_PORT=str(port)),
            logs,
        )
        for n, port in enumerate(ports)
    ]
    notifiers = [
        Member(
            "notifier",
            f"notifier-{n}",
            member_env(config, tmp_path / "notifier", tansu, SAFEGUARD_PORT=str(free_port())),
            logs,
        )
        for n in range(2)
    ]
    members = projections + notifiers
    outbox = tmp_path / "notifier" / "notifier.db"
    in_flight: set[str] = set()
    batches = list(workload(CASES, PER_CASE))
    total = CASES * PER_CASE
    kafka = KafkaSettings(bootstrap_servers=tansu, enable_idempotence=False, partitions=PARTITIONS)
    try:
        async with (
            SQLiteEventStore(tmp_path / "events.db") as store,
            running_relay(store, kafka, tmp_path / "relay.db", batch=100),
            running_projection(
                Settings(data_dir=tmp_path / "reference"), store=store, clock=SystemClock()
            ) as reference,
        ):
            for member in members:
                member.start()
            slices = iter(batches)
            for round_ in range(KILLS):
                for batch in [next(slices, None) for _ in range(PER_CASE // KILLS)]:
                    if batch is not None:
                        await store.append(batch)
                victim = rng.choice(notifiers if round_ % 2 else projections)
                await until_working(victim)
                await asyncio.sleep(rng.uniform(0, 0.5))
                victim.kill()
                if victim.role == "notifier":
                    in_flight |= claimed(outbox)
                await asyncio.sleep(rng.uniform(0.1, 1.0) if round_ % 2 else 0)
                victim.start()
            for batch in slices:
                await store.append(batch)
            await reference.wait_for(total)
            expected = await reference_findings(reference)
            await until_settled(
                lambda: unsettled(projections, notifiers, ports, key, outbox, expected)
            )
            reads = [await served(port, key) for port in ports]
            history: list[RecordedEvent] = await store.read_all(1, total)
    finally:
        for member in members:
            member.kill()

    assert len(expected) > 0 and reads == [expected] * 3
    legitimate = prefix_findings(history, SystemClock().now())
    for group in (projections, notifiers):
        announced = sum((member.announcements() for member in group), start=Counter())
        assert set(announced) <= legitimate  # none from half a history
        assert expected <= set(announced)  # none missing
    sent = alerts(outbox)
    assert {(a["finding_id"], a["transition"]) for a in sent} <= legitimate
    assert set(receiver.accepted) == {a["alert_id"] for a in sent if a["delivery"] == "delivered"}
    twice = {webhook_id for webhook_id, count in receiver.accepted.items() if count > 1}
    assert twice <= in_flight
