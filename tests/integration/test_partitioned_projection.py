"""Two projection members in one consumer group on tansu split the cases between
them through a rebalance: each holds only its partitions' cases, announces only
their findings, from their whole history, and both answer reads the same.

Given a generated workload relayed to a 6-partition topic, when one member is
folding it and a second joins mid-stream (a rebalance), then once all is folded
no case is held by both, no finding is announced twice or from half a history,
and every finding of the store-fed reference is announced and read on both.
(An announcement from a prefix of a case's history is legitimate: a live
projection evaluates each prefix as it arrives; see ``tests/support/prefixes``.)
"""

import asyncio
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path

import pytest

from bench.workload import START, workload
from events.findings import Finding
from infra.clock import FixedClock
from infra.config import Settings
from infra.config.stream import KafkaSettings
from infra.kafka import KafkaEventFeed
from infra.sqlite.store import SQLiteEventStore
from services.projection.bootstrap import running_projection
from services.projection.domain.picture import picture
from services.projection.service import ProjectionService
from services.relay.relay import running_relay
from tests.support.prefixes import final_findings, prefix_findings

pytestmark = pytest.mark.kafka

CASES, PER_CASE, PARTITIONS = 60, 20, 6
AT = START + timedelta(days=30)


class RecordingSink:
    def __init__(self) -> None:
        self.announced: list[tuple[str, str]] = []

    async def on_findings(self, findings: Sequence[Finding]) -> None:
        self.announced += [(f.finding_id, f.status) for f in findings]


def folded(members: list[tuple[ProjectionService, KafkaEventFeed]]) -> int:
    """Events folded by the group: each is new to the shared model once."""
    return sum(member.seen for member, _ in members)


async def settled(members: list[tuple[ProjectionService, KafkaEventFeed]], total: int) -> None:
    """Poll (under the caller's deadline) until every event is folded and the
    group's assignment covers every partition once; then let each member finish
    the batch in hand."""
    while True:
        assigned = [feed.assigned for _, feed in members]
        whole = frozenset().union(*assigned) == frozenset(range(PARTITIONS))
        disjoint = sum(map(len, assigned)) == PARTITIONS
        if whole and disjoint and folded(members) == total:
            break
        await asyncio.sleep(0.05)
    for member, _ in members:
        await member.sync()  # a batch being announced finishes first; snapshots written


async def read_findings(member: ProjectionService) -> dict[str, str]:
    """Every finding, a page of the shared model at a time."""
    found: dict[str, str] = {}
    after = None
    while True:
        page, _ = await member.findings_page(limit=1000, after=after, agency=None, status=None)
        found.update((f["finding_id"], f["status"]) for f in page.rows)
        if (after := page.next) is None:
            return found


def cases_on(shared: Path, partitions: frozenset[int]) -> set[str]:
    with sqlite3.connect(shared) as db:
        rows = db.execute(
            "SELECT DISTINCT case_id FROM case_events "
            f"WHERE partition IN ({', '.join('?' * len(partitions))})",
            sorted(partitions),
        ).fetchall()
    return {case_id for (case_id,) in rows}


async def test_members_split_cases_and_announce_each_finding_once_from_whole_history(
    tansu: str, tmp_path: Path
) -> None:
    kafka = KafkaSettings(
        bootstrap_servers=tansu,
        enable_idempotence=False,
        partitions=PARTITIONS,
        session_timeout_ms=1500,
    )
    clock = FixedClock(AT)
    shared = tmp_path / "projection.db"
    sinks = [RecordingSink(), RecordingSink()]
    feeds = [KafkaEventFeed(kafka, group_id="members", max_batch=40) for _ in sinks]

    def member(n: int) -> AbstractAsyncContextManager[ProjectionService]:
        return running_projection(
            Settings(data_dir=tmp_path / f"member-{n}", kafka=kafka),
            feed=feeds[n],
            clock=clock,
            sinks=[sinks[n]],
            source="kafka",
            read_model=shared,
        )

    batches = list(workload(CASES, PER_CASE))
    total = CASES * PER_CASE
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        for batch in batches[: PER_CASE // 2]:
            await store.append(batch)
        async with (
            running_projection(
                Settings(data_dir=tmp_path / "reference"), store=store, clock=clock
            ) as reference,
            running_relay(store, kafka, tmp_path / "relay.db", batch=50),
            member(0) as first,
        ):
            async with asyncio.timeout(30):
                while first.seen < total // 4:  # noqa: ASYNC110 - no per-count signal
                    await asyncio.sleep(0.02)
            async with member(1) as second:
                async with asyncio.timeout(30):
                    while not feeds[1].assigned:  # noqa: ASYNC110 - the group has no join signal
                        await asyncio.sleep(0.02)
                for batch in batches[PER_CASE // 2 :]:  # the rest while the group rebalances
                    await store.append(batch)
                members = [(first, feeds[0]), (second, feeds[1])]
                async with asyncio.timeout(60):
                    await settled(members, total)
                expected = await read_findings(reference)
                reads = [await read_findings(first), await read_findings(second)]
                held = [set(first.cases.case_ids()), set(second.cases.case_ids())]
                on_partitions = [cases_on(shared, feed.assigned) for feed in feeds]
                elsewhere = sorted(on_partitions[1])[0]  # the second's: the first folds it
                pictures = [
                    await m.read(elsewhere, lambda state: picture(state, AT))
                    for m in (first, second, reference)
                ]
                adopted = elsewhere in first.cases
        history = await store.read_all(1, total)

    assert 0 < first.seen < total and second.seen > 0  # the second joined mid-stream
    assert held[0] and held[1] and not held[0] & held[1]
    assert held[0] <= on_partitions[0] and held[1] <= on_partitions[1]  # only its own
    assert on_partitions[0] | on_partitions[1] == {e.case_id for e in history}
    assert len(expected) > 0 and reads == [expected, expected]
    assert pictures[0] == pictures[1] == pictures[2] and not adopted
    announced = sinks[0].announced + sinks[1].announced
    assert len(announced) == len(set(announced))  # no (finding, status) twice
    assert set(announced) <= prefix_findings(history, AT)  # none from half a history
    assert final_findings(history, AT) == set(expected.items()) <= set(announced)  # none missing
