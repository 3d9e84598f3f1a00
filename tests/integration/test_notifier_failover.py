"""Two notifier processes on one outbox file: only the lease holder sends, and
the standby takes over within 15 s of a ``kill -9``, re-sending only what was
in flight, with the same webhook-id."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

import orjson

from services.notifier.domain.alerts import alert_id_for
from tests.support.notifier_kit import SECRET, make_finding
from tests.support.notifier_process import NotifierProcess, attempts, settled
from tests.support.receiver import Receiver, wait_until

ALERTS = 12


def write_config(tmp: Path, rx: Receiver, **notifier: int) -> Path:
    config = tmp / "safeguard.toml"
    extra = "".join(f"{k} = {v}\n" for k, v in notifier.items())
    config.write_text(
        f'public_url = "https://safeguard.example.org"\n[notifier]\nhorizon = "1h"\n{extra}'
        f'[[subscriptions]]\nname = "edt"\nurl = "{rx.url}"\nsecret = "{SECRET}"\n'
        f'retry_schedule = ["100ms"]\nallow_private = true\n'
    )
    return config


def delivered(db: Path) -> set[str]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT alert_id FROM alerts WHERE delivery = 'delivered'")
        return {r[0] for r in rows}


def claimed(db: Path) -> set[str]:
    """Alerts a sender holds in flight: claimed and not yet recorded as sent."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT alert_id FROM alerts WHERE delivery = 'pending' AND claimed_by IS NOT NULL"
        )
        return {r[0] for r in rows}


def lease_pid(db: Path) -> int | None:
    """The process id in the lease owner (``host:pid:random``), if anyone holds it."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT owner FROM lease WHERE name = 'delivery'").fetchone()
    return None if row is None or not row[0] else int(row[0].split(":")[-2])


async def start_two(tmp: Path, config: Path, procs: list[NotifierProcess]) -> None:
    findings = [make_finding(n) for n in range(1, ALERTS + 1)]
    for _ in range(2):  # each announces the same findings, as replicas would
        p = NotifierProcess(tmp, config, findings)
        procs.append(p)
        await p.ready()


def alert_ids() -> set[str]:
    return {alert_id_for(make_finding(n).finding_id, "open", "edt") for n in range(1, ALERTS + 1)}


async def test_two_notifiers_on_one_outbox_deliver_each_alert_exactly_once(
    tmp_path: Path, procs: list[NotifierProcess]
) -> None:
    rx = Receiver()  # down until both notifiers run, so both could send every alert
    rx.hold = 0.3  # and each send stays in flight a while
    db, ids = tmp_path / "notifier.db", alert_ids()
    await start_two(tmp_path, write_config(tmp_path, rx), procs)
    await wait_until(lambda: set(attempts(db)) == ids and all(attempts(db).values()))
    await rx.start()
    try:
        await wait_until(lambda: settled(db, ids), within=15)
    finally:
        await rx.stop()
    assert rx.accepted == {i: 1 for i in ids}
    assert len(rx.requests) == ALERTS


async def test_kill_9_of_the_sender_hands_over_within_15s_resending_only_what_was_in_flight(
    tmp_path: Path, procs: list[NotifierProcess]
) -> None:
    rx = await Receiver().start()
    rx.hold = 0.3
    db, ids = tmp_path / "notifier.db", alert_ids()
    await start_two(tmp_path, write_config(tmp_path, rx, max_in_flight=2), procs)
    await wait_until(lambda: len(delivered(db)) >= 4, within=15)
    [leader] = [p for p in procs if p.proc.pid == lease_pid(db)]
    [standby] = [p for p in procs if p is not leader]
    try:
        leader.kill()
        killed_at = time.monotonic()
        # what the dead sender held, by the outbox (a request it had sent may not
        # have reached the receiver yet, so the receiver's log alone would miss it)
        in_flight = claimed(db)

        await wait_until(lambda: lease_pid(db) == standby.proc.pid, within=15)
        took_over = time.monotonic() - killed_at
        await wait_until(lambda: settled(db, ids), within=10)
    finally:
        await rx.stop()
    assert took_over < 15
    assert set(rx.accepted) == ids
    resent = {i for i, n in rx.accepted.items() if n > 1}
    assert resent <= in_flight and max(rx.accepted.values()) <= 2
    for alert_id in resent:  # the same alert again, under the same webhook-id
        assert {orjson.loads(r.body)["alert_id"] for r in rx.for_id(alert_id)} == {alert_id}
    assert len(rx.requests) == ALERTS + len(resent)
