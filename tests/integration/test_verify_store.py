"""The chain stays whole through group commit: concurrent appends, requests that
fail and roll back inside a shared transaction, retries, and a reopened store."""

import asyncio
from pathlib import Path

from infra.sqlite.chain_links import verify_file
from infra.sqlite.store import SQLiteEventStore
from infra.store.port import ConcurrencyError, IdempotencyConflict
from tests.support.factories import make_submission


async def test_failed_requests_in_a_group_leave_the_chain_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    async with SQLiteEventStore(path) as store:
        first = make_submission(case_id="case-a")
        await store.append([first])
        reused = make_submission(case_id="case-a", event_id=first.event_id, summary="other")
        requests = [
            *(store.append([make_submission(case_id=f"case-{i % 5}")]) for i in range(40)),
            *(
                store.append([make_submission(case_id="case-a")], expected_versions={"case-a": 0})
                for _ in range(5)
            ),
            store.append([first]),  # an identical retry: nothing new
            *(store.append([reused]) for _ in range(3)),
        ]
        outcomes = await asyncio.gather(*requests, return_exceptions=True)
        head = await store.head_position()

    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(f, ConcurrencyError | IdempotencyConflict) for f in failures)
    assert len(failures) == 8
    result = await asyncio.to_thread(verify_file, path)
    assert result.broken is None and result.position == head == 41


async def test_the_chain_continues_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    for _ in range(3):
        async with SQLiteEventStore(path) as store:
            await store.append([make_submission() for _ in range(10)])

    result = await asyncio.to_thread(verify_file, path)

    assert result.broken is None and result.checked == 30


async def test_with_the_chain_switched_off_verify_reports_the_first_unchained_event(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.db"
    async with SQLiteEventStore(path) as store:
        await store.append([make_submission() for _ in range(3)])
    async with SQLiteEventStore(path, hash_chain=False) as store:
        await store.append([make_submission()])

    result = await asyncio.to_thread(verify_file, path)

    assert result.broken is not None and result.broken.position == 4
    assert result.position == 3
