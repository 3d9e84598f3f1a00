"""KafkaEventFeed against tansu: batches, manual acks, and a consumer killed mid-stream.

The consumer process is this module run as a script (``python -m``), so the kill
is a real SIGKILL of a real process with uncommitted work in flight.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events.records import RecordedEvent
from infra.config.stream import KafkaSettings
from infra.kafka import KafkaEventFeed, KafkaEventPublisher
from tests.support.factories import make_submission, new_event_id
from tests.support.server import REPO, killed_on_exit

GROUP = "test-projection"
T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)


def recorded(n: int, cases: int) -> list[RecordedEvent]:
    templates = [make_submission(case_id=f"case-{c}") for c in range(cases)]
    versions = dict.fromkeys(range(cases), 0)
    events = []
    for i in range(n):
        c = i % cases
        versions[c] += 1
        template = templates[c]
        sub = type(template)({**template.envelope, "event_id": new_event_id()}, template.agency)
        events.append(
            RecordedEvent.from_submission(
                sub, position=i + 1, stream_version=versions[c], recorded_at=T0
            )
        )
    return events


def settings(bootstrap: str) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        enable_idempotence=False,
        partitions=3,
        session_timeout_ms=1_500,  # tansu keeps a departed member until it times out
    )


async def publish(bootstrap: str, events: list[RecordedEvent]) -> None:
    publisher = KafkaEventPublisher(settings(bootstrap))
    await publisher.start()
    try:
        await publisher.publish(events)
    finally:
        await publisher.close()


async def consume_until(
    feed: KafkaEventFeed, done: Callable[[list[str]], bool], *, ack: bool = True
) -> list[str]:
    seen: list[str] = []
    async with asyncio.timeout(30):
        async for batch in feed.batches(1):
            seen.extend(e.event_id for e in batch.events)
            if ack:
                await batch.ack()
            if done(seen):
                return seen
    return seen


pytestmark = pytest.mark.kafka


async def test_batches_keep_each_case_in_order(tansu: str) -> None:
    events = recorded(300, cases=5)
    await publish(tansu, events)
    feed = KafkaEventFeed(settings(tansu), group_id=GROUP, max_batch=40)
    order: list[RecordedEvent] = []
    try:
        async with asyncio.timeout(30):
            async for batch in feed.batches(1):
                order.extend(batch.events)
                await batch.ack()
                if len(order) >= len(events):
                    break
    finally:
        await feed.close()

    assert sorted(e.event_id for e in order) == sorted(e.event_id for e in events)
    for case_id in {e.case_id for e in events}:
        versions = [e.stream_version for e in order if e.case_id == case_id]
        assert versions == sorted(versions)


async def test_unacked_batch_is_redelivered_to_the_next_consumer_of_the_group(
    tansu: str,
) -> None:
    events = recorded(100, cases=3)
    await publish(tansu, events)
    first = KafkaEventFeed(settings(tansu), group_id=GROUP, max_batch=1_000)
    try:
        unacked = await consume_until(first, lambda seen: len(seen) == 100, ack=False)
    finally:
        await first.close()

    second = KafkaEventFeed(settings(tansu), group_id=GROUP)
    try:
        redelivered = await consume_until(second, lambda seen: len(seen) >= 100)
    finally:
        await second.close()

    assert sorted(redelivered) == sorted(unacked)


# --- a consumer process killed mid-stream ---------------------------------------------


async def _consume_forever(bootstrap: str, out: Path) -> None:
    """Process = append ids to ``out`` and flush to disk, *then* ack: the order
    a projection follows (read model durable first)."""
    feed = KafkaEventFeed(settings(bootstrap), group_id=GROUP, max_batch=25)
    with out.open("a") as log:
        async for batch in feed.batches(1):
            log.write("".join(f"{e.event_id}\n" for e in batch.events))
            log.flush()
            os.fsync(log.fileno())
            await batch.ack()


@contextlib.contextmanager
def consumer_process(bootstrap: str, out: Path) -> Iterator[subprocess.Popen[bytes]]:
    cmd = [sys.executable, "-m", "tests.integration.test_kafka_feed", bootstrap, str(out)]
    with killed_on_exit(subprocess.Popen(cmd, cwd=REPO)) as proc:
        yield proc


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def wait_for(condition: Callable[[], bool], deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "condition not met before the deadline"
        time.sleep(0.01)


async def test_consumer_killed_mid_stream_resumes_with_no_lost_events(
    tansu: str, tmp_path: Path
) -> None:
    events = recorded(8_000, cases=9)
    await publish(tansu, events)
    out = tmp_path / "processed.txt"

    with consumer_process(tansu, out) as first:
        await asyncio.to_thread(wait_for, lambda: len(lines(out)) >= 300)
        first.send_signal(signal.SIGKILL)
        first.wait()
    at_kill = len(lines(out))
    with consumer_process(tansu, out):
        expected = {e.event_id for e in events}
        await asyncio.to_thread(wait_for, lambda: set(lines(out)) >= expected)

    processed = lines(out)
    assert 300 <= at_kill < 8_000  # killed mid-stream
    assert set(processed) == expected
    assert len(processed) - len(expected) <= 3 * 25  # at most the unacked batch per partition


if __name__ == "__main__":
    asyncio.run(_consume_forever(sys.argv[1], Path(sys.argv[2])))
