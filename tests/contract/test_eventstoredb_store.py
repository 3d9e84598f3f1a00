"""EventStoreDBEventStore against the shared contract, twice:

- against a real KurrentDB under testcontainers (``@pytest.mark.docker``; skipped,
  with the reason, where no Docker engine answers);
- against ``FakeKurrentDB`` (``tests/support/fake_kurrentdb.py``), an in-memory
  double of the driver that models the awkward parts of the real log, so the
  adapter's logic runs here too.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from infra.clock import Clock
from infra.eventstoredb import EventStoreDBEventStore
from infra.eventstoredb.writer import MultiCaseBatchUnsupported
from tests.contract.event_store_suite import EventStoreContract, sub
from tests.support.docker import kurrentdb_uri
from tests.support.fake_kurrentdb import FakeStoreFactory, OlderKurrentDB, OldestEventStoreDB


class TestEventStoreDBEventStoreOnAFakeDriver(EventStoreContract):
    """Also with a rank checkpoint every 2 events and one window cached, so reads
    go through persisted checkpoints and windows re-read from ``$all``."""

    @pytest.fixture(
        params=[(True, 1024), (False, 1024), (True, 2), (False, 2)],
        ids=["shared-commit", "own-commit", "shared-commit-sparse", "own-commit-sparse"],
    )
    def store_factory(self, request: pytest.FixtureRequest) -> FakeStoreFactory:
        shared, every = request.param
        return FakeStoreFactory(shared_commit=shared, checkpoint_every=every, cached_windows=1)


# --- a real KurrentDB -------------------------------------------------------------------


class RealStoreFactory:
    """A fresh stream category per test: a fresh, empty store on a shared server."""

    def __init__(self, uri: str) -> None:
        self.uri, self.category = uri, f"case{uuid.uuid4().hex[:12]}"

    @asynccontextmanager
    async def open(self, *, clock: Clock | None = None) -> AsyncIterator[EventStoreDBEventStore]:
        async with EventStoreDBEventStore(self.uri, clock=clock, category=self.category) as store:
            yield store


@pytest.fixture(scope="module")
def kurrentdb() -> Iterator[str]:
    yield from kurrentdb_uri()


@pytest.mark.docker
class TestEventStoreDBEventStore(EventStoreContract):
    @pytest.fixture
    def store_factory(self, kurrentdb: str) -> RealStoreFactory:
        return RealStoreFactory(kurrentdb)


async def test_positions_stay_gapless_when_other_categories_interleave() -> None:
    factory = FakeStoreFactory()
    async with factory.open() as store:
        for i in range(5):
            await store.append([sub(f"case-{i % 2}"), sub("case-x")])

        events = await store.read_all()

    assert [e.position for e in events] == list(range(1, 11))
    assert len({e.position for e in events}) == 10


async def test_on_kurrentdb_25_a_multi_case_batch_is_atomic_but_grouped_by_case() -> None:
    async with FakeStoreFactory(OlderKurrentDB).open() as store:
        subs = [sub("case-a"), sub("case-b"), sub("case-a")]

        result = await store.append(subs)

        assert [(e.case_id, e.stream_version) for e in result.events] == [
            ("case-a", 1),
            ("case-b", 1),
            ("case-a", 2),
        ]
        assert [e.event_id for e in await store.read_all()] == [
            subs[0].event_id,
            subs[2].event_id,
            subs[1].event_id,
        ]


async def test_on_eventstoredb_24_a_multi_case_batch_is_refused_and_one_case_is_not() -> None:
    async with FakeStoreFactory(OldestEventStoreDB).open() as store:
        with pytest.raises(MultiCaseBatchUnsupported):
            await store.append([sub("case-a"), sub("case-b")])

        result = await store.append([sub("case-a"), sub("case-a")])

        assert await store.head_position() == 2 and result.all_created
