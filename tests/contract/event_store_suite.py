"""The contract every ``EventStore`` adapter must pass.

An adapter joins with a small module, e.g. ``test_sqlite_store.py``::

    class TestSQLiteEventStore(EventStoreContract):
        @pytest.fixture
        def store_factory(self, tmp_path):
            return SQLiteStoreFactory(tmp_path / "events.db")

``store_factory`` is a ``StoreFactory``: each ``open()`` yields the *same*
store (fresh and empty the first time), so reopening proves persistence.
Positions are asserted relative to the head seen at the start of a test, so a
backend that cannot be emptied between tests still passes.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from events import RecordedEvent, Submission
from infra.clock import Clock, FixedClock
from infra.store import ConcurrencyError, EventStore, IdempotencyConflict, StoreError
from tests.support.factories import make_submission, new_event_id

WAIT = 10.0
"""Seconds a test waits for a subscription before failing (never a sleep)."""
T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)


class StoreFactory(Protocol):
    def open(self, *, clock: Clock | None = None) -> AbstractAsyncContextManager[EventStore]:
        """Open (first call: create) the store under test, closing it on exit."""
        ...


def sub(case_id: str = "case-1", **kw: Any) -> Submission:
    return make_submission(case_id=case_id, **kw)


def positions(events: list[RecordedEvent]) -> list[int]:
    return [e.position for e in events]


async def take(subscription: AsyncIterator[RecordedEvent], n: int) -> list[RecordedEvent]:
    async with asyncio.timeout(WAIT):
        return [await anext(subscription) for _ in range(n)]


class EventStoreContract:
    @pytest.fixture
    async def store(self, store_factory: StoreFactory) -> AsyncIterator[EventStore]:
        async with store_factory.open() as store:
            yield store

    # --- append and read ------------------------------------------------------

    async def test_appended_event_is_read_back_by_id_exactly_as_returned(
        self, store: EventStore
    ) -> None:
        submission = sub(type="injury.identified", agency="health", metadata={"import": True})

        result = await store.append([submission])

        (event,) = result.events
        assert result.created == (True,)
        assert await store.get(submission.event_id) == event
        assert event.envelope() == dict(submission.envelope)
        assert (event.agency, event.metadata) == ("health", {"import": True})

    async def test_unknown_event_id_reads_as_none(self, store: EventStore) -> None:
        assert await store.get(new_event_id()) is None

    async def test_empty_store_has_head_zero_and_first_event_is_position_one(
        self, store: EventStore
    ) -> None:
        base = await store.head_position()

        result = await store.append([sub(case_id="case-new")])

        assert (result.events[0].position, result.events[0].stream_version) == (base + 1, 1)
        assert await store.head_position() == base + 1

    async def test_read_case_returns_only_that_case_in_stream_order(
        self, store: EventStore
    ) -> None:
        a = [sub("case-a") for _ in range(3)]
        await store.append([a[0], sub("case-b")])
        await store.append([a[1]])
        await store.append([sub("case-b"), a[2]])

        events = await store.read_case("case-a")

        assert [e.event_id for e in events] == [s.event_id for s in a]
        assert [e.stream_version for e in events] == [1, 2, 3]
        assert [e.event_id for e in await store.read_case("case-a", from_version=3)] == [
            a[2].event_id
        ]
        assert await store.read_case("case-none") == []

    async def test_read_all_pages_from_a_position_in_order(self, store: EventStore) -> None:
        base = await store.head_position()
        subs = [sub(f"case-{i % 3}") for i in range(7)]
        await store.append(subs[:4])
        await store.append(subs[4:])

        page = await store.read_all(base + 3, limit=3)
        rest = await store.read_all(base + 6)

        assert positions(page) == [base + 3, base + 4, base + 5]
        assert [e.event_id for e in page + rest] == [s.event_id for s in subs[2:]]

    async def test_positions_and_stream_versions_are_gapless_across_cases(
        self, store: EventStore
    ) -> None:
        base = await store.head_position()
        for i in range(6):
            await store.append([sub("case-x"), sub(f"case-{i % 2}")])

        events = await store.read_all(base + 1)

        assert positions(events) == list(range(base + 1, base + 13))
        for case_id in ("case-x", "case-0", "case-1"):
            versions = [e.stream_version for e in events if e.case_id == case_id]
            assert versions == list(range(1, len(versions) + 1))

    async def test_batch_spanning_several_cases_versions_each_case(self, store: EventStore) -> None:
        await store.append([sub("case-a")])

        result = await store.append([sub("case-b"), sub("case-a"), sub("case-b")])

        assert [(e.case_id, e.stream_version) for e in result.events] == [
            ("case-b", 1),
            ("case-a", 2),
            ("case-b", 2),
        ]

    # --- idempotency ----------------------------------------------------------

    async def test_identical_retry_returns_original_record_and_stores_nothing(
        self, store_factory: StoreFactory
    ) -> None:
        clock = FixedClock(T0)
        async with store_factory.open(clock=clock) as store:
            submission = sub()
            first = await store.append([submission])
            clock.set(T0 + timedelta(hours=1))
            head = await store.head_position()

            retry = await store.append([submission])

            assert retry.events == first.events
            assert retry.events[0].recorded_at == T0
            assert retry.created == (False,) and retry.none_created
            assert await store.head_position() == head

    async def test_reused_event_id_with_other_content_is_refused_and_first_stands(
        self, store: EventStore
    ) -> None:
        event_id = new_event_id()
        original = await store.append([sub(event_id=event_id, summary="first account")])
        head = await store.head_position()

        with pytest.raises(IdempotencyConflict) as caught:
            await store.append([sub(event_id=event_id, summary="changed account")])

        assert caught.value.event_id == event_id
        assert await store.get(event_id) == original.events[0]
        assert await store.head_position() == head

    async def test_reused_event_id_from_another_agency_is_a_conflict(
        self, store: EventStore
    ) -> None:
        event_id = new_event_id()
        await store.append([sub(event_id=event_id, agency="police")])

        with pytest.raises(IdempotencyConflict):
            await store.append([sub(event_id=event_id, agency="edt")])

    async def test_batch_with_one_conflicting_event_stores_nothing(self, store: EventStore) -> None:
        taken = new_event_id()
        await store.append([sub(event_id=taken, summary="original")])
        head = await store.head_position()
        fresh = [sub("case-a"), sub("case-b")]

        with pytest.raises(IdempotencyConflict):
            await store.append([fresh[0], sub(event_id=taken, summary="other"), fresh[1]])

        assert await store.head_position() == head
        assert [await store.get(s.event_id) for s in fresh] == [None, None]
        assert await store.read_case("case-b") == []

    async def test_identical_duplicates_inside_one_batch_are_stored_once(
        self, store: EventStore
    ) -> None:
        base = await store.head_position()
        twice, other = sub(), sub()

        result = await store.append([twice, other, twice])

        assert result.created == (True, True, False)
        assert result.events[2] == result.events[0]
        assert positions(await store.read_all(base + 1)) == [base + 1, base + 2]

    async def test_conflicting_duplicates_inside_one_batch_store_nothing(
        self, store: EventStore
    ) -> None:
        head = await store.head_position()
        event_id = new_event_id()

        with pytest.raises(IdempotencyConflict):
            await store.append([sub(event_id=event_id), sub(event_id=event_id, summary="x")])

        assert await store.head_position() == head

    async def test_batch_mixing_retries_and_new_events_creates_only_the_new(
        self, store: EventStore
    ) -> None:
        old = sub()
        first = await store.append([old])
        new = sub()

        result = await store.append([old, new])

        assert result.created == (False, True)
        assert result.events[0] == first.events[0]
        assert result.events[1].position == first.events[0].position + 1

    # --- expected versions ----------------------------------------------------

    async def test_expected_version_zero_starts_a_new_case(self, store: EventStore) -> None:
        result = await store.append([sub("case-new")], expected_versions={"case-new": 0})

        assert result.events[0].stream_version == 1

    async def test_matching_expected_version_appends(self, store: EventStore) -> None:
        await store.append([sub("case-a"), sub("case-a")])

        result = await store.append([sub("case-a")], expected_versions={"case-a": 2})

        assert result.events[0].stream_version == 3

    async def test_stale_expected_version_is_refused_and_stores_nothing(
        self, store: EventStore
    ) -> None:
        await store.append([sub("case-a"), sub("case-a")])
        head = await store.head_position()
        late = sub("case-a")

        with pytest.raises(ConcurrencyError) as caught:
            await store.append([late, sub("case-b")], expected_versions={"case-a": 1})

        assert (caught.value.case_id, caught.value.expected, caught.value.actual) == (
            "case-a",
            1,
            2,
        )
        assert await store.head_position() == head
        assert await store.get(late.event_id) is None

    async def test_expected_new_case_that_exists_is_refused(self, store: EventStore) -> None:
        await store.append([sub("case-a")])

        with pytest.raises(ConcurrencyError):
            await store.append([sub("case-a")], expected_versions={"case-a": 0})

    async def test_retry_of_an_accepted_append_with_its_old_expected_version_is_idempotent(
        self, store: EventStore
    ) -> None:
        submission = sub("case-a")
        first = await store.append([submission], expected_versions={"case-a": 0})

        retry = await store.append([submission], expected_versions={"case-a": 0})

        assert retry.events == first.events and retry.created == (False,)

    async def test_only_one_of_racing_writers_expecting_the_same_version_wins(
        self, store: EventStore
    ) -> None:
        await store.append([sub("case-race")])

        racers = [sub("case-race") for _ in range(10)]

        outcomes = await asyncio.gather(
            *(store.append([s], expected_versions={"case-race": 1}) for s in racers),
            return_exceptions=True,
        )

        errors = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(errors) == 9
        assert all(isinstance(e, ConcurrencyError) for e in errors)
        assert len(await store.read_case("case-race")) == 2

    # --- concurrency ----------------------------------------------------------

    async def test_fifty_concurrent_appenders_are_each_stored_once_gaplessly(
        self, store: EventStore
    ) -> None:
        base = await store.head_position()
        subs = [sub(f"case-{i % 4}") for i in range(50)]

        results = await asyncio.gather(
            *(store.append([s]) for s in subs), *(store.append([s]) for s in subs[:10])
        )

        events = await store.read_all(base + 1)
        assert positions(events) == list(range(base + 1, base + 51))
        assert sorted(e.event_id for e in events) == sorted(s.event_id for s in subs)
        assert sum(r.created[0] for r in results) == 50
        for case_id in {s.case_id for s in subs}:
            versions = [e.stream_version for e in await store.read_case(case_id)]
            assert versions == list(range(1, len(versions) + 1))

    async def test_recorded_at_never_goes_backwards_when_the_clock_does(
        self, store_factory: StoreFactory
    ) -> None:
        clock = FixedClock(T0)
        async with store_factory.open(clock=clock) as store:
            await store.append([sub()])
            clock.set(T0 - timedelta(minutes=5))

            result = await store.append([sub()])

            assert result.events[0].recorded_at >= T0

    # --- subscriptions ----------------------------------------------------------

    async def test_subscription_catches_up_then_delivers_live_appends_in_order(
        self, store: EventStore
    ) -> None:
        base = await store.head_position()
        await store.append([sub() for _ in range(3)])
        subscription = store.subscribe(base + 1)
        try:
            caught_up = await take(subscription, 3)
            live = [sub("case-a"), sub("case-b")]
            await store.append([live[0]])
            await store.append([live[1]])

            delivered = await take(subscription, 2)
        finally:
            await subscription.aclose()

        assert positions(caught_up) == [base + 1, base + 2, base + 3]
        assert [e.event_id for e in delivered] == [s.event_id for s in live]

    async def test_subscription_from_a_position_skips_earlier_events(
        self, store: EventStore
    ) -> None:
        result = await store.append([sub() for _ in range(4)])
        subscription = store.subscribe(result.events[2].position)
        try:
            delivered = await take(subscription, 2)
        finally:
            await subscription.aclose()

        assert delivered == list(result.events[2:])

    async def test_a_live_subscription_can_be_cancelled(self, store: EventStore) -> None:
        received = asyncio.Event()

        async def follow(start: int) -> None:
            async for _ in store.subscribe(start):
                received.set()

        task = asyncio.create_task(follow(await store.head_position() + 1))
        await store.append([sub()])
        async with asyncio.timeout(WAIT):
            await received.wait()  # the subscription is live

        task.cancel()

        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await store.append([sub()])).created == (True,)

    # --- persistence ------------------------------------------------------------

    async def test_events_survive_close_and_reopen(self, store_factory: StoreFactory) -> None:
        async with store_factory.open() as store:
            written = await store.append([sub("case-a"), sub("case-b")])
        async with store_factory.open() as reopened:
            assert await reopened.get(written.events[0].event_id) == written.events[0]
            assert await reopened.read_case("case-b") == [written.events[1]]
            assert await reopened.head_position() == written.events[1].position

    async def test_retry_after_reopen_is_still_idempotent(
        self, store_factory: StoreFactory
    ) -> None:
        submission = sub()
        async with store_factory.open() as store:
            first = await store.append([submission])
        async with store_factory.open() as reopened:
            retry = await reopened.append([submission])
            nxt = await reopened.append([sub()], expected_versions={"case-1": 1})

        assert retry.events == first.events and retry.created == (False,)
        assert nxt.events[0].position == first.events[0].position + 1

    async def test_appending_to_a_closed_store_is_a_store_error(
        self, store_factory: StoreFactory
    ) -> None:
        async with store_factory.open() as store:
            pass

        with pytest.raises(StoreError):
            await store.append([sub()])
