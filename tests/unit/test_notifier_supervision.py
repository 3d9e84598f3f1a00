"""A delivery loop that fails is restarted, not left dead until someone notices.

The notifier here is a hand-written fake whose ``run`` fails a set number of times;
the real loop's crash-only behaviour and durable outbox are covered by the
notifier's own integration tests.
"""

import asyncio
import logging
from typing import Any

import pytest

from services.notifier import app as notifier_app


class FailingTwice:
    def __init__(self) -> None:
        self.runs = 0
        self.restarts = 0

    async def run(self) -> None:
        self.runs += 1
        if self.runs <= 2:
            raise OSError("disk full while recording an attempt")


async def test_failed_delivery_loop_is_logged_and_restarted_until_it_closes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(notifier_app, "RETRY_FIRST", 0.001)
    notifier: Any = FailingTwice()
    with caplog.at_level(logging.ERROR, logger="safeguard.notifier"):
        async with asyncio.timeout(5):
            await notifier_app.supervise(notifier)
    assert notifier.runs == 3
    assert notifier.restarts == 2
    assert caplog.text.count("notifier delivery loop failed") == 2
