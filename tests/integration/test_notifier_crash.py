"""SIGKILL while retries are pending: after a restart every alert still arrives,
and nothing a receiver accepted is sent again."""

from __future__ import annotations

from pathlib import Path

from events.findings import Finding
from infra.sqlite.store import SQLiteEventStore
from services.notifier.domain.alerts import alert_id_for
from tests.support.notifier_kit import SECRET, make_finding
from tests.support.notifier_process import NotifierProcess, attempts, settled
from tests.support.receiver import Receiver, wait_until


async def test_sigkill_while_retries_are_pending_still_delivers_each_alert_exactly_once(
    tmp_path: Path, procs: list[NotifierProcess]
) -> None:
    rx = Receiver()  # down
    config = tmp_path / "safeguard.toml"
    config.write_text(
        # a restart waits out the killed process's delivery lease: keep it short
        f'public_url = "https://safeguard.example.org"\n[notifier]\nhorizon = "1h"\n'
        "lease_ttl_seconds = 1\n"
        f'[[subscriptions]]\nname = "edt"\nurl = "{rx.url}"\nsecret = "{SECRET}"\n'
        f'retry_schedule = ["100ms"]\nallow_private = true\n'
    )
    findings = [make_finding(n) for n in range(1, 6)]
    ids = {alert_id_for(f.finding_id, "open", "edt") for f in findings}
    db = tmp_path / "notifier.db"

    async def run(with_findings: list[Finding] | None) -> NotifierProcess:
        p = NotifierProcess(tmp_path, config, with_findings)
        procs.append(p)
        await p.ready()
        return p

    first = await run(findings)
    await wait_until(lambda: all(n >= 2 for n in attempts(db).values()) and len(attempts(db)) == 5)
    first.kill()
    before = attempts(db)

    second = await run(None)  # restarted without re-enqueueing: retries resume
    await wait_until(lambda: all(attempts(db)[i] > before[i] for i in ids))
    second.kill()

    late = make_finding(6)
    third = await run([*findings, late])  # re-enqueueing the same findings is a no-op
    await rx.start()
    try:
        late_id = alert_id_for(late.finding_id, "open", "edt")
        await wait_until(lambda: settled(db, {*ids, late_id}), within=15)
        third.kill()
        fourth = await run([*findings, late, make_finding(7)])  # after success: nothing again
        seventh = alert_id_for(make_finding(7).finding_id, "open", "edt")
        await wait_until(lambda: settled(db, {seventh}), within=15)
        fourth.kill()
    finally:
        await rx.stop()
    assert rx.accepted == {i: 1 for i in (*ids, late_id, seventh)}
    assert len(rx.requests) == 7

    async with SQLiteEventStore(tmp_path / "events.db") as store:
        events = await store.read_all(limit=10_000)
    sent = [e for e in events if e.type == "alert.sent"]
    assert sorted(e.data["alert_id"] for e in sent) == sorted({*ids, late_id, seventh})
    failed = [e for e in events if e.type == "alert.failed"]
    assert {e.data["alert_id"] for e in failed} == ids
    assert len({e.event_id for e in events}) == len(events)
