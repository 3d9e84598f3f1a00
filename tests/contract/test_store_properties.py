"""Property: however concurrent appends, identical retries and conflicting reuses
of event ids interleave, the store keeps one gapless order and each id's first
content.

An op ``(id_index, variant)`` submits event ``ids[id_index]`` with content
``variant``: the same pair again is an identical retry, another variant of the
same id is a conflicting reuse. Ops are grouped into batches, and batches run
as concurrent tasks that yield a drawn number of times before appending, so
Hypothesis explores the interleavings (and group-commit groupings). The index
is merged after every commit, every few events or never, so retries and
conflicts meet their first content in the merged index and in the log's tail.
"""

import asyncio
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import Submission
from infra.sqlite import index as sqlite_index
from infra.sqlite.store import SQLiteEventStore
from infra.store import AppendResult, IdempotencyConflict
from tests.support.factories import make_submission

IDS = [str(uuid.UUID(int=i + 1, version=4)) for i in range(8)]

op = st.tuples(st.integers(0, len(IDS) - 1), st.integers(0, 1))
batch = st.tuples(st.lists(op, min_size=1, max_size=3), st.integers(0, 3))
scenario = st.lists(batch, min_size=1, max_size=12)


def submission(id_index: int, variant: int) -> Submission:
    return make_submission(
        event_id=IDS[id_index],
        case_id=f"case-{id_index % 3}",
        summary=f"account variant {variant}",
    )


async def append_after_yields(
    store: SQLiteEventStore, subs: list[Submission], yields: int
) -> AppendResult:
    for _ in range(yields):
        await asyncio.sleep(0)  # reorders tasks; waits on nothing
    return await store.append(subs)


async def run(path: Path, batches: list[tuple[list[tuple[int, int]], int]]) -> None:
    plans = [[submission(*o) for o in ops] for ops, _ in batches]
    async with SQLiteEventStore(path) as store:
        outcomes = await asyncio.gather(
            *(append_after_yields(store, p, y) for p, (_, y) in zip(plans, batches, strict=True)),
            return_exceptions=True,
        )
        stored = {e.event_id: e for e in await store.read_all(1, 10_000)}
        events = list(stored.values())
        head = await store.head_position()

    assert [e.position for e in events] == list(range(1, len(events) + 1)) and head == len(events)
    for case_id in {e.case_id for e in events}:
        versions = [e.stream_version for e in events if e.case_id == case_id]
        assert versions == list(range(1, len(versions) + 1))

    creators: Counter[str] = Counter()
    for subs, outcome in zip(plans, outcomes, strict=True):
        if isinstance(outcome, AppendResult):
            for s, event, created in zip(subs, outcome.events, outcome.created, strict=True):
                assert stored[s.event_id] == event  # what the caller was told is what stands
                assert event.envelope() == dict(s.envelope)  # created or identical retry
                creators[s.event_id] += created
        else:
            assert isinstance(outcome, IdempotencyConflict), outcome
            assert (
                any(
                    s.event_id in stored and stored[s.event_id].envelope() != dict(s.envelope)
                    for s in subs
                )
                or len({s.digest() for s in subs if s.event_id == outcome.event_id}) > 1
            )

    assert set(creators) == set(stored)  # nothing stored by a refused batch
    assert all(n == 1 for n in creators.values())  # each id stored exactly once


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario, st.sampled_from([1, 3, sqlite_index.MERGE_AT]))
def test_any_interleaving_keeps_gapless_order_and_first_content(
    batches: list[tuple[list[tuple[int, int]], int]], merge_at: int
) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        patch.object(sqlite_index, "MERGE_AT", merge_at),
    ):
        asyncio.run(run(Path(tmp) / "events.db", batches))
