"""The relay's checkpoint file under a stop that races a save: the stop waits for
the save in its worker thread instead of closing the connection under it (which
crashes the process in the ``sqlite3`` module), and a save after the stop fails
cleanly."""

import asyncio
import sqlite3
from pathlib import Path

import pytest

from services.relay.checkpoint import SQLiteRelayCheckpoint


async def test_a_close_racing_saves_waits_for_them_and_later_saves_fail_cleanly(
    tmp_path: Path,
) -> None:
    for attempt in range(20):
        checkpoint = SQLiteRelayCheckpoint(tmp_path / f"relay-{attempt}.db")
        await checkpoint.save(1)
        saves = [asyncio.create_task(checkpoint.save(n)) for n in range(2, 12)]
        await asyncio.sleep(0)  # the saves are in their threads
        await checkpoint.close()
        await asyncio.gather(*saves, return_exceptions=True)

        with pytest.raises(sqlite3.ProgrammingError):
            await checkpoint.save(99)
    reopened = SQLiteRelayCheckpoint(tmp_path / "relay-0.db")
    assert await reopened.load() >= 1
    await reopened.close()
