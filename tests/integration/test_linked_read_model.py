"""The read model keyed by joint case: Child K's three agencies, each posting under
its own case id with the children's NHS numbers, through a cache of one case that
evicts the joint case at every turn, still give the review's findings, all under
the joint case id, and its picture from any member's id.

Store-fed, the service reads a case's events again through ``refetch``; here that
is a function over the recorded events, standing in for ``store.read_case`` (the
SQLite store is not what is under test). Kafka-fed, it reads the kept events from
the real read model file."""

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from events.findings import Finding
from events.records import RecordedEvent
from infra.clock import FixedClock
from infra.feed import FeedBatch
from services.projection.bootstrap import open_read_model
from services.projection.casebook import CaseBook
from services.projection.domain.rules import default_policy
from services.projection.readmodel import LinkInputs, OpenFilter
from services.projection.service import ProjectionService
from tests.support.scenario import CHILD_K_EVALUATE_AT, ids
from tests.unit.test_identity_projection import EXPECTED, OWN_CASE, child_k_by_agency

POLICY = default_policy()
JOINT = "SWP-OCC-0042"  # the earliest case names the joint case


class Announced:
    def __init__(self) -> None:
        self.last: dict[str, str] = {}

    async def on_findings(self, findings: Sequence[Finding]) -> None:
        self.last.update((f.finding_id, f.status) for f in findings)


def service_on(
    path: Path, events: list[RecordedEvent], *, kafka: bool, capacity: int | None, sink: Announced
) -> ProjectionService:
    async def read_case(case_id: str) -> list[RecordedEvent]:
        return [event for event in events if event.case_id == case_id]

    return ProjectionService(
        feed=None,  # type: ignore[arg-type]  # driven through handle()
        model=open_read_model(path, POLICY, keep_events=kafka),
        casebook=CaseBook(POLICY, capacity=capacity),
        clock=FixedClock(CHILD_K_EVALUATE_AT),
        sinks=[sink],
        refetch=None if kafka else read_case,
    )


async def feed(service: ProjectionService, events: list[RecordedEvent], size: int) -> None:
    await service.start()
    for first in range(0, len(events), size):
        await service.handle(FeedBatch(events[first : first + size]))
        await service.tick()


def by_trigger(rows: list[dict[str, object]]) -> set[tuple[str, tuple[str, ...]]]:
    slug = {v: k for k, v in ids("child-k").items()}
    return {
        (str(row["rule"]), tuple(sorted(slug[t] for t in row["trigger_event_ids"])))  # type: ignore[attr-defined]
        for row in rows
    }


@pytest.mark.parametrize("kafka", [False, True], ids=["store-fed", "kafka-fed"])
async def test_linked_cases_evicted_from_a_cache_of_one_still_give_the_joint_findings(
    tmp_path: Path, kafka: bool
) -> None:
    events = child_k_by_agency()
    unbounded_sink, bounded_sink = Announced(), Announced()
    unbounded = service_on(
        tmp_path / "unbounded.db", events, kafka=kafka, capacity=None, sink=unbounded_sink
    )
    bounded = service_on(
        tmp_path / "bounded.db", events, kafka=kafka, capacity=1, sink=bounded_sink
    )
    await feed(unbounded, events, 1)
    await feed(bounded, events, 1)  # a batch per event: the cache of one turns over

    page, _ = await bounded.findings_page(limit=1000, after=None, agency=None, status=None)
    assert {row["case_id"] for row in page.rows} == {JOINT}
    assert by_trigger(page.rows) == EXPECTED
    assert bounded_sink.last == unbounded_sink.last
    cases = await bounded.cases_page(limit=10, after=None, agency=None, wanted=OpenFilter())
    assert [row["case_id"] for row in cases.rows] == [JOINT]  # the absorbed cases' rows went

    await bounded.read(JOINT, lambda state: None)  # loaded: the others' events are evicted
    for case_id in OWN_CASE.values():
        members = await bounded.read(case_id, lambda state: {state.case_id, *state.members})
        assert members == set(OWN_CASE.values())
    await unbounded.stop()
    await bounded.stop()


async def test_a_restart_restores_the_links_from_the_model_without_reading_the_history(
    tmp_path: Path,
) -> None:
    events = child_k_by_agency()
    path = tmp_path / "projection.db"
    first = service_on(path, events, kafka=False, capacity=1, sink=Announced())
    await feed(first, events, 5)
    await first.stop()

    read_again: list[str] = []
    restarted = service_on(path, [], kafka=False, capacity=1, sink=Announced())

    async def counted(case_id: str) -> list[RecordedEvent]:
        read_again.append(case_id)
        return [event for event in events if event.case_id == case_id]

    restarted._refetch = counted
    restored_on: list[threading.Thread] = []
    restore = restarted.links.restore

    def watched(saved: LinkInputs) -> None:
        restored_on.append(threading.current_thread())
        restore(saved)

    restarted.links.restore = watched  # type: ignore[method-assign]
    await restarted.start()
    assert read_again == [] and restarted.seen == 0  # no event read or folded again
    # pure Python over every case ever seen: on the loop, 0.18 s at 100,000 cases
    assert restored_on and restored_on[0] is not threading.main_thread()
    assert restarted.links.joint_id("HB-ED-0931") == JOINT
    assert restarted.links.linker.members(JOINT) == set(OWN_CASE.values())

    # when health posts again under its own case id, it lands in the joint case
    last = next(event for event in reversed(events) if event.case_id == "HB-ED-0931")
    later = replace(last, event_id="after-restart", position=events[-1].position + 1)
    events.append(later)
    await restarted.handle(FeedBatch([later]))
    cases = await restarted.cases_page(limit=10, after=None, agency=None, wanted=OpenFilter())
    assert [row["case_id"] for row in cases.rows] == [JOINT]
    page, _ = await restarted.findings_page(limit=1000, after=None, agency=None, status=None)
    assert by_trigger(page.rows) == EXPECTED
    await restarted.stop()

    with sqlite3.connect(path) as db:  # the linker's inputs: per case and identifier
        (subjects,) = db.execute("SELECT count(*) FROM link_subjects").fetchone()
    assert 0 < subjects < sum(1 for event in events if event.subjects)
