"""Fixtures shared by integration tests: a real Kafka-protocol broker and a real
webhook receiver, both on loopback, both stopped after the test; notifier
processes, killed after it."""

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.notifier_process import NotifierProcess
from tests.support.receiver import Receiver
from tests.support.tansu import tansu_broker


@pytest.fixture
def tansu() -> Iterator[str]:
    """The bootstrap address of a fresh tansu broker (skips if the binary is missing)."""
    yield from tansu_broker()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver().start()
    yield server
    await server.stop()


@pytest.fixture
def procs() -> Iterator[list[NotifierProcess]]:
    started: list[NotifierProcess] = []
    yield started
    for p in started:
        if p.proc.poll() is None:
            p.kill()
