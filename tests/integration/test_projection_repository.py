"""The projection's read model used from worker threads, as the service uses it:
saves and announcements from two loops at once, and a stop that closes the file
while a cancelled save still runs. Nothing interleaves inside a transaction, and
the close waits instead of pulling the connection from under a query (which
crashes the process in the ``sqlite3`` module)."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from events.records import RecordedEvent
from services.projection.repository import ProjectionRepository
from tests.support.factories import make_submission


async def test_concurrent_saves_announcements_and_a_racing_close(tmp_path: Path) -> None:
    for attempt in range(10):
        path = tmp_path / f"read-model-{attempt}.db"
        repository = ProjectionRepository(path, keep_events=True)
        events = [recorded(i) for i in range(1, 201)]
        work = [
            *(asyncio.to_thread(repository.save, events[i : i + 20]) for i in range(0, 200, 20)),
            *(asyncio.to_thread(repository.mark_announced, {f"f-{i}": "open"}) for i in range(10)),
        ]
        tasks = [asyncio.ensure_future(w) for w in work]
        await asyncio.sleep(0)
        repository.close()
        await asyncio.gather(*tasks, return_exceptions=True)

    reopened = ProjectionRepository(tmp_path / "read-model-0.db", keep_events=True)
    stored = list(reopened.load_all())
    assert len({e.event_id for e in stored}) == len(stored)  # nothing stored twice
    assert reopened.checkpoint() in (0, *(e.position for e in stored))
    reopened.close()


def recorded(position: int) -> RecordedEvent:
    return RecordedEvent.from_submission(
        make_submission(case_id=f"case-{position % 7}"),
        position=position,
        stream_version=position,
        recorded_at=datetime(2024, 3, 2, tzinfo=UTC),
    )
