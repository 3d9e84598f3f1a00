"""Two projection members on one shared read model file hand a partition over.

Given members A and B sharing one SQLite read model, driven by hand (the
rebalance calls a Kafka feed makes are made here directly, so no broker), when
A folds a case on each of two partitions and then hands one partition to B
after its deadline passed, then only B announces that case's finding (once),
A only its own, and a picture of a case B does not own is folded on demand on
B, the same as its owner's, without B keeping it.
"""

import sqlite3
from datetime import timedelta
from pathlib import Path

from infra.clock import FixedClock
from infra.feed import FeedBatch
from services.projection.bootstrap import open_read_model
from services.projection.casebook import CaseBook
from services.projection.domain.picture import picture
from services.projection.domain.rules import default_policy
from services.projection.ownership import PartitionOwnership
from services.projection.service import ProjectionService
from tests.support.announced import T0, Announced, concern

POLICY = default_policy()


def member(path: Path, clock: FixedClock, sink: Announced) -> ProjectionService:
    return ProjectionService(
        feed=None,  # type: ignore[arg-type]  # driven through handle() and the ownership calls
        model=open_read_model(path, POLICY, keep_events=True),
        casebook=CaseBook(POLICY, capacity=10),
        clock=clock,
        sinks=[sink],
        source="kafka",
    )


async def test_a_handed_over_partition_is_announced_by_its_new_owner_only(tmp_path: Path) -> None:
    shared, clock = tmp_path / "projection.db", FixedClock(T0)
    sinks = [Announced(), Announced()]
    a, b = member(shared, clock, sinks[0]), member(shared, clock, sinks[1])
    owners = [PartitionOwnership(a), PartitionOwnership(b)]
    await a.start()
    await b.start()
    await owners[0].assigned(frozenset({0, 1}))
    await owners[1].assigned(frozenset())
    events = [concern(1, "case-a"), concern(2, "case-b")]
    partitions = {events[0].event_id: 0, events[1].event_id: 1}
    await a.handle(FeedBatch(events, partitions=partitions))

    clock.set(T0 + timedelta(hours=5))  # both concerns' deadlines have passed
    await b.tick()  # owns nothing yet: fires nothing
    assert sinks[1].opened == []
    await owners[0].revoked(frozenset({1}))
    assert "case-b" not in a.cases and a.owned == frozenset({0})
    await owners[1].assigned(frozenset({1}))
    assert sinks[1].opened == ["case-b"]  # before any event of the partition
    await a.tick()
    await b.tick()
    assert sinks[0].opened == ["case-a"] and sinks[1].opened == ["case-b"]

    on_a = await a.read("case-a", lambda state: picture(state, clock.now()))
    on_b = await b.read("case-a", lambda state: picture(state, clock.now()))
    assert on_a == on_b and "case-a" not in b.cases
    await a.stop()
    await b.stop()


def test_a_file_from_before_partitions_gains_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "projection.db"
    open_read_model(path, POLICY, keep_events=True).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX deadlines_by_partition")
        db.execute("ALTER TABLE deadlines DROP COLUMN partition")
        db.execute("ALTER TABLE case_events DROP COLUMN partition")
    model = open_read_model(path, POLICY, keep_events=True)
    event = concern(1, "case-a")
    model.save_events([event], {event.event_id: 3})
    assert model.partitions_of(["case-a"]) == {"case-a": 3}
    model.close()
