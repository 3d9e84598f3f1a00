"""Worker processes that validate large batches.

Validating a batch of 500 events and putting it in canonical form takes a few
milliseconds of Python. In the service process that holds the event loop (every
other request waits) and competes with the store's writer thread for the GIL, so
the two cores a batch could use become one. A worker process does it instead and sends the canonical
envelopes back; small bodies (single events) are validated inline, where a
round trip to a worker would cost more than it saves.

A worker that dies (killed, out of memory) breaks the pool: it is replaced, and
the request that found it broken is validated inline, so nobody gets an error
for it. Validation has no side effects, so nothing is lost either way.
"""

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager

from infra.collector import collect_young_less_often
from infra.config import Settings
from services.ingest.intake import Intake
from services.ingest.submissions import Built

log = logging.getLogger("safeguard.ingest")

PARENT_CHECK_SECONDS = 0.5


class Validators:
    """Inline for small bodies or with no workers configured; else a worker."""

    def __init__(self, workers: int, min_bytes: int) -> None:
        self._workers, self._min_bytes = workers, min_bytes
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the workers now, not on the first batch: a worker imports the
        event catalog first (about a second)."""
        if self._workers > 0:
            self._pool = ProcessPoolExecutor(
                self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            self._pool.submit(_ready)

    async def submissions(self, intake: Intake, raw: bytes) -> Built:
        pool = self._pool
        if pool is None or len(raw) < self._min_bytes:
            return intake.submissions(raw)
        try:
            data = await asyncio.get_running_loop().run_in_executor(
                pool, intake.to_canonical_json, raw
            )
        except BrokenProcessPool:
            log.warning("a validation worker died; replacing it, validating this batch inline")
            self._replace(pool)
            return intake.submissions(raw)
        return intake.from_canonical_json(data)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        if self._pool is broken:  # not replaced already by a concurrent request
            broken.shutdown(wait=False, cancel_futures=True)
            self.start()


def _start_worker(parent: int) -> None:
    """In each worker: collect garbage as the service does, and leave when the
    service does, even on kill -9 (when nothing tells the pool's workers, and
    they would wait on their queue for ever)."""
    collect_young_less_often()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _ready() -> None:
    """Run in a new worker, so that it has imported what validation needs."""
    import services.ingest.intake  # noqa: F401 - imported for its side effect of loading


@asynccontextmanager
async def open_validators(settings: Settings) -> AsyncIterator[Validators]:
    validators = Validators(settings.ingest.validation_workers, settings.ingest.offload_min_bytes)
    validators.start()
    try:
        yield validators
    finally:
        await validators.close()
