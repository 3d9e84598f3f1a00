"""EventStoreDBEventStore without a whole-log index: rank checkpoints and id claims.

Runs on ``FakeKurrentDB`` (``tests/support/fake_kurrentdb.py``), an in-memory
double of the driver, because no Docker engine (hence no KurrentDB) runs here;
the failing servers below are fakes of a crash or a racing writer, which a real
server cannot be made to produce on cue.
"""

from typing import Any

import pytest
from kurrentdbclient import NewEvents
from kurrentdbclient.exceptions import ServiceUnavailableError

from infra.eventstoredb.codec import to_new_event
from infra.store import ConcurrencyError, IdempotencyConflict, StoreError, StoreUnavailable
from tests.contract.event_store_suite import T0, sub
from tests.support.factories import new_event_id
from tests.support.fake_kurrentdb import FakeKurrentDB, FakeStoreFactory


async def fill(factory: FakeStoreFactory, batches: int, per_batch: int = 3) -> None:
    async with factory.open() as store:
        for i in range(batches):
            await store.append([sub(f"case-{(i + j) % 7}") for j in range(per_batch)])


@pytest.mark.parametrize("shared_commit", [True, False], ids=["shared-commit", "own-commit"])
async def test_a_restart_reads_the_checkpoints_and_only_the_tail_of_all(
    shared_commit: bool,
) -> None:
    factory = FakeStoreFactory(shared_commit=shared_commit, checkpoint_every=16, cached_windows=2)
    await fill(factory, 100)
    async with factory.open() as store:
        before = await store.read_all(1, 1000)
    factory.log.reads = 0

    async with factory.open() as reopened:
        start_reads = factory.log.reads
        assert await reopened.head_position() == 300
        assert await reopened.read_all(1, 1000) == before

    assert start_reads <= 16 + 2 * 3  # the tail after the last checkpoint, plus one append
    assert len(factory.log.stream("safeguard-ranks")) == 300 // 16


async def test_a_first_start_on_an_unindexed_log_writes_the_checkpoints_once() -> None:
    factory = FakeStoreFactory(checkpoint_every=10)
    await fill(factory, 40)
    factory.log.events = [e for e in factory.log.events if e.stream_name != "safeguard-ranks"]

    async with factory.open() as store:
        assert await store.head_position() == 120
    async with factory.open() as store:
        assert await store.head_position() == 120

    assert len(factory.log.stream("safeguard-ranks")) == 12


async def test_a_checkpoint_that_disagrees_with_the_setting_stops_start_up() -> None:
    await fill(factory := FakeStoreFactory(checkpoint_every=10), 10)
    factory.ranks["checkpoint_every"] = 8

    with pytest.raises(StoreError, match="rank checkpoint"):
        async with factory.open():
            pass


async def test_read_case_ranks_events_whose_windows_were_evicted() -> None:
    factory = FakeStoreFactory(checkpoint_every=4, cached_windows=1)
    await fill(factory, 30)
    async with factory.open() as store:
        everything = await store.read_all(1, 1000)
        await store.read_all(85, 5)  # the cache now holds a late window only

        case = await store.read_case("case-3")

    assert case == [e for e in everything if e.case_id == "case-3"]


# --- claims --------------------------------------------------------------------------


class CrashingServer(FakeKurrentDB):
    """The connection drops on the first case append, after the id was claimed."""

    crashes = 1

    async def append_to_stream(self, stream_name: str, **kw: Any) -> int:
        if stream_name.startswith("case-") and CrashingServer.crashes:
            CrashingServer.crashes -= 1
            raise ServiceUnavailableError("connection reset")
        return await super().append_to_stream(stream_name, **kw)


class RacedServer(FakeKurrentDB):
    """Another writer appends to the case just before our first case append."""

    raced = 1

    async def append_to_stream(self, stream_name: str, **kw: Any) -> int:
        if stream_name.startswith("case-") and RacedServer.raced:
            RacedServer.raced -= 1
            other = to_new_event(sub("case-a"), recorded_at=T0, append_id="other")
            current = kw["current_version"]
            self._append([NewEvents(stream_name, [other], current)])
        return await super().append_to_stream(stream_name, **kw)


async def test_a_crash_between_claim_and_append_is_recovered_by_the_retry() -> None:
    CrashingServer.crashes = 1
    factory = FakeStoreFactory(CrashingServer)
    submission = sub("case-a")
    async with factory.open() as store:
        with pytest.raises(StoreUnavailable):
            await store.append([submission])
        assert await store.get(submission.event_id) is None  # claimed, never landed

        retry = await store.append([submission])

        assert retry.created == (True,)
        assert await store.get(submission.event_id) == retry.events[0]
        assert len(await store.read_case("case-a")) == 1


async def test_an_id_claimed_but_never_landed_still_binds_its_content() -> None:
    CrashingServer.crashes = 1
    factory = FakeStoreFactory(CrashingServer)
    event_id = new_event_id()
    async with factory.open() as store:
        with pytest.raises(StoreUnavailable):
            await store.append([sub("case-a", event_id=event_id, summary="first account")])

        with pytest.raises(IdempotencyConflict):
            await store.append([sub("case-a", event_id=event_id, summary="changed account")])


async def test_an_id_whose_append_lost_a_race_is_free_for_other_content() -> None:
    RacedServer.raced = 1
    factory = FakeStoreFactory(RacedServer)
    event_id = new_event_id()
    async with factory.open() as store:
        with pytest.raises(ConcurrencyError):
            await store.append(
                [sub("case-a", event_id=event_id, summary="first account")],
                expected_versions={"case-a": 0},
            )

        later = await store.append([sub("case-b", event_id=event_id, summary="other account")])

    assert later.created == (True,) and later.events[0].case_id == "case-b"
    assert [e.type for e in factory.log.stream(f"safeguard-id-{event_id}")] == [
        "claim.pending",
        "claim.dead",
        "claim.pending",
    ]


async def test_a_reused_id_in_another_case_is_a_conflict() -> None:
    event_id = new_event_id()
    async with FakeStoreFactory().open() as store:
        first = await store.append([sub("case-a", event_id=event_id)])

        with pytest.raises(IdempotencyConflict):
            await store.append([sub("case-b", event_id=event_id)])

        assert await store.get(event_id) == first.events[0]
        assert await store.read_case("case-b") == []


async def test_backfilled_claims_make_events_written_before_claims_idempotent() -> None:
    factory = FakeStoreFactory()
    event_id = new_event_id()
    async with factory.open() as store:
        first = await store.append([sub("case-a", event_id=event_id)])
    factory.log.events = [e for e in factory.log.events if "safeguard-id-" not in e.stream_name]

    async with factory.open() as store:
        assert await store.get(event_id) is None  # no claim: invisible to lookups
        assert await store.backfill_claims() == 1
        assert await store.backfill_claims() == 0

        assert await store.get(event_id) == first.events[0]
        with pytest.raises(IdempotencyConflict):
            await store.append([sub("case-b", event_id=event_id)])
