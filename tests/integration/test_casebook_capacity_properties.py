"""A case cache of one to three cases, backed by the SQLite read model, gives the
same announcements, findings and pictures as an unbounded one, whatever the
interleaving of cases and the batching of the feed."""

import asyncio
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from events.findings import Finding
from events.records import RecordedEvent
from infra.clock import FixedClock
from services.projection.bootstrap import open_read_model
from services.projection.casebook import CaseBook
from services.projection.domain.picture import picture
from services.projection.service import ProjectionService
from tests.support.picture import Story
from tests.support.store_stand_in import StoreStandIn
from tests.unit.test_picture_properties import POLICY, PROPERTY, START, moments, stories

CASES = ("case-a", "case-b", "case-c", "case-d")


class Statuses:
    def __init__(self) -> None:
        self.last: dict[str, str] = {}

    async def on_findings(self, findings: Sequence[Finding]) -> None:
        self.last.update((f.finding_id, f.status) for f in findings)


@st.composite
def interleaved(draw: st.DrawFn) -> list[RecordedEvent]:
    """Several cases' stories, interleaved by recording time, renumbered."""
    events = [
        replace(event, case_id=case_id)
        for case_id in CASES[: draw(st.integers(2, len(CASES)))]
        for event in draw(stories())
    ]
    by_recording = sorted(events, key=lambda e: (e.recorded_at, e.case_id, e.position))
    return [replace(e, position=i + 1) for i, e in enumerate(by_recording)]


async def run(
    path: Path, events: list[RecordedEvent], sizes: list[int], capacity: int | None
) -> tuple[dict[str, str], list[dict[str, Any]], dict[str, Any]]:
    times = moments(events)
    clock, sink, store = FixedClock(times[0]), Statuses(), StoreStandIn()
    service = ProjectionService(
        feed=None,  # type: ignore[arg-type]  # driven through handle()
        model=open_read_model(path, POLICY, keep_events=False),
        casebook=CaseBook(POLICY, capacity=capacity),
        clock=clock,
        sinks=[sink],
        refetch=store.read_case,
    )
    await service.start()
    start, turn = 0, 0
    while start < len(events):
        size = sizes[turn % len(sizes)]
        clock.set(max(clock.now(), events[min(start + size, len(events)) - 1].recorded_at))
        await service.handle(store.batch(events[start : start + size]))
        await service.tick()
        start, turn = start + size, turn + 1
    clock.set(times[-1])
    await service.tick()
    page, _ = await service.findings_page(limit=1000, after=None, agency=None, status=None)
    pictures = {
        case_id: await service.read(case_id, lambda state: picture(state, times[-1]))
        for case_id in sorted({e.case_id for e in events})
    }
    await service.stop()
    return sink.last, page.rows, pictures


@PROPERTY
@given(
    events=interleaved(),
    sizes=st.lists(st.integers(1, 7), min_size=1, max_size=4),
    capacity=st.integers(1, 3),
)
def test_a_tiny_case_cache_announces_and_shows_what_an_unbounded_one_does(
    events: list[RecordedEvent], sizes: list[int], capacity: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        tiny = asyncio.run(run(Path(folder) / "tiny.db", events, sizes, capacity))
        unbounded = asyncio.run(run(Path(folder) / "all.db", events, sizes, None))
    assert tiny == unbounded


def test_the_property_sees_evictions() -> None:
    """Guard against a vacuous property: four cases through a cache of one do evict."""
    story = Story()
    story.add("concern.observed", "health", at=START, child="child-k")
    book = CaseBook(POLICY, capacity=1)
    for case_id in CASES:
        book.apply(replace(story.events[0], case_id=case_id))
    assert len(book) == 1 and len(book.take_evicted()) == 3
