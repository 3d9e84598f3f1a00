"""``FakeKurrentDB``: an in-memory double of the ``kurrentdbclient`` driver.

It models the awkward parts of the real log (commit positions with gaps, other
streams interleaved, events of one append sharing a commit position with
prepare positions below it, inclusive reads and exclusive subscriptions, the
server's own idempotent-write check), so the adapter's logic runs without a
server: it is a fake because no Docker engine (hence no KurrentDB) runs here.
``FakeLog.events`` is the whole ``$all`` log: tests tamper with it directly, as
an insider with disk access could. Streams and ``$all`` reads are indexed (and
the indexes rebuilt after tampering), so a log of a million events stays usable
for measuring the adapter.
"""

import asyncio
import bisect
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, SupportsIndex, cast

from kurrentdbclient import (
    AsyncKurrentDBClient,
    NewEvent,
    NewEvents,
    NewRecord,
    RecordedEvent,
    StreamState,
    StreamStateCheck,
)
from kurrentdbclient.exceptions import (
    ConsistencyChecksFailedError,
    GrpcError,
    NotFoundError,
    WrongCurrentVersionError,
)

from infra.clock import Clock
from infra.eventstoredb import EventStoreDBEventStore
from infra.eventstoredb.ranks import CACHED_WINDOWS, CHECKPOINT_EVERY


class TrackedList(list[RecordedEvent]):
    """A list that counts in-place edits, so the log knows its indexes went stale."""

    edits = 0

    def __setitem__(self, i: Any, value: Any) -> None:
        self.edits += 1
        super().__setitem__(i, value)

    def __delitem__(self, i: SupportsIndex | slice) -> None:
        self.edits += 1
        super().__delitem__(i)


class FakeLog:
    """The server: one ``$all`` log shared by every client opened on it."""

    def __init__(self, *, shared_commit: bool = True) -> None:
        self._events = TrackedList()
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._indexed: tuple[int, int, int] = (id(self._events), 0, 0)
        self.reads = 0
        """Events returned by ``$all`` reads so far: what a start-up costs."""
        self.position = 1_000
        self.appended = asyncio.Event()
        self.shared_commit = shared_commit
        """True: one commit position per append, after its prepares (the v1 log);
        False: each event's commit position is its own prepare position."""

    def commit(self, records: list[tuple[str, Any]]) -> int:
        """Write (stream, event) pairs as one transaction, in the order given."""
        self._noise()
        written = []
        revisions: dict[str, int] = {}
        for stream, event in records:
            revisions[stream] = revisions.get(stream, self.revision(stream)) + 1
            self.position += 37
            written.append((stream, revisions[stream], event, self.position))
        self.position += 50
        commit = self.position  # v1 log: a commit record after the prepares
        for stream, revision, event, prepare in written:
            self.events.append(
                RecordedEvent(
                    type=event.type,
                    data=event.data,
                    metadata=event.metadata,
                    content_type=event.content_type,
                    id=event.id,
                    stream_name=stream,
                    stream_position=revision,
                    commit_position=commit if self.shared_commit else prepare,
                    prepare_position=prepare,
                )
            )
        self.appended.set()
        self.appended = asyncio.Event()
        return commit

    def _noise(self) -> None:
        """Another category's event between appends: gaps in commit positions."""
        self.position += 11
        self.events.append(
            RecordedEvent(
                type="noise",
                data=b"{}",
                metadata=b"",
                content_type="application/json",
                id=uuid.uuid4(),
                stream_name="other-1",
                stream_position=0,
                commit_position=self.position,
                prepare_position=self.position,
            )
        )

    @property
    def events(self) -> list[RecordedEvent]:
        return self._events

    @events.setter
    def events(self, events: list[RecordedEvent]) -> None:
        self._events = TrackedList(events)

    def _fresh(self) -> None:
        """Index what was appended since; rebuild after a tamper."""
        ident, edits, done = self._indexed
        if ident != id(self._events) or edits != self._events.edits or done > len(self._events):
            self._streams, done = {}, 0
        for event in self._events[done:]:
            self._streams.setdefault(event.stream_name, []).append(event)
        self._indexed = (id(self._events), self._events.edits, len(self._events))

    def stream(self, name: str) -> list[RecordedEvent]:
        self._fresh()
        return list(self._streams.get(name, ()))

    def from_key(self, commit: int, prepare: int) -> int:
        """Index of the first event at or after (commit, prepare) in ``$all``."""
        key = (commit, prepare)
        return bisect.bisect_left(
            self._events, key, key=lambda e: (e.commit_position, e.prepare_position)
        )

    def revision(self, name: str) -> int:
        self._fresh()
        return len(self._streams.get(name, ())) - 1

    def check(self, batch: NewEvents) -> bool:
        """True to write, False for the server's idempotent no-op, else raise."""
        actual = self.revision(batch.stream_name)
        expected = -1 if batch.current_version is StreamState.NO_STREAM else batch.current_version
        ids = [e.id for e in batch.events]
        after = [e.id for e in self.stream(batch.stream_name)[int(expected) + 1 :]]
        if after[: len(ids)] == ids and after:
            return False
        if actual != expected:
            raise WrongCurrentVersionError(
                stream_name=batch.stream_name, actual_version=actual, expected_version=expected
            )
        return True


class FakeStream:
    def __init__(self, items: Iterable[RecordedEvent]) -> None:
        self._items = iter(list(items))

    def __aiter__(self) -> "FakeStream":
        return self

    async def __anext__(self) -> RecordedEvent:
        try:
            return next(self._items)
        except StopIteration:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> "FakeStream":
        return self

    async def __aexit__(self, *args: object) -> None:
        return None


class FakeSubscription:
    """Exclusive of its start position, then live until stopped."""

    def __init__(self, log: FakeLog, after: int | None, prefix: str) -> None:
        self._log, self._after, self._prefix = log, after, prefix
        self._next, self._stopped = 0, asyncio.Event()

    def __aiter__(self) -> "FakeSubscription":
        return self

    async def __anext__(self) -> RecordedEvent:
        while not self._stopped.is_set():
            signal = self._log.appended
            while self._next < len(self._log.events):
                event = self._log.events[self._next]
                self._next += 1
                after = self._after is None or event.commit_position > self._after
                if after and event.stream_name.startswith(self._prefix):
                    return event
            waiter = asyncio.ensure_future(signal.wait())
            stopper = asyncio.ensure_future(self._stopped.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
        raise StopAsyncIteration

    async def stop(self) -> None:
        self._stopped.set()


class FakeKurrentDB:
    """The subset of ``AsyncKurrentDBClient`` the adapter uses."""

    def __init__(self, log: FakeLog) -> None:
        self.log = log

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def append_to_stream(
        self, stream_name: str, *, events: Iterable[NewEvent], current_version: Any
    ) -> int:
        return self._append([NewEvents(stream_name, list(events), current_version)])

    async def multi_append_to_stream(self, batches: Iterable[NewEvents]) -> int:
        return self._append(batches)

    def _append(self, batches: Iterable[NewEvents]) -> int:
        batches = [NewEvents(b.stream_name, list(b.events), b.current_version) for b in batches]
        writes = [b for b in batches if self.log.check(b)]
        records = [(b.stream_name, e) for b in writes for e in b.events]
        return self.log.commit(records) if records else self.log.position

    async def append_records(
        self, records: Iterable[NewRecord], checks: Iterable[StreamStateCheck]
    ) -> int:
        records = list(records)
        for check in checks:
            actual = self.log.revision(check.stream_name)
            expected = check.expected_state
            expected = -1 if expected is StreamState.NO_STREAM else expected
            if actual != expected:
                raise ConsistencyChecksFailedError("stream state check failed", failures=())
        return self.log.commit([(r.stream_name, r) for r in records])

    async def get_current_version(self, stream_name: str) -> int | StreamState:
        revision = self.log.revision(stream_name)
        return StreamState.NO_STREAM if revision < 0 else revision

    async def get_stream(
        self,
        stream_name: str,
        *,
        stream_position: int | None = None,
        backwards: bool = False,
        limit: int = 2**63 - 1,
    ) -> tuple[RecordedEvent, ...]:
        events = self.log.stream(stream_name)
        if not events:
            raise NotFoundError(stream_name)
        if backwards:
            first = len(events) - 1 if stream_position is None else stream_position
            return tuple(events[first::-1][:limit])
        return tuple(events[stream_position or 0 :][:limit])

    async def read_all(
        self, *, commit_position: int | None, limit: int, filter_include: tuple[str, ...], **_: Any
    ) -> FakeStream:
        start = (
            0 if commit_position is None else self.log.from_key(commit_position, commit_position)
        )
        found: list[RecordedEvent] = []
        events = self.log.events
        for i in range(start, len(events)):
            if len(found) == limit:
                break
            if events[i].stream_name.startswith(filter_include[0]):
                found.append(events[i])
        self.log.reads += len(found)
        return FakeStream(found)

    async def subscribe_to_all(
        self, *, commit_position: int | None, filter_include: tuple[str, ...], **_: Any
    ) -> FakeSubscription:
        return FakeSubscription(self.log, commit_position, filter_include[0])


class OlderKurrentDB(FakeKurrentDB):
    """A 25.1 server: multi-stream append, but no ``append_records``."""

    async def append_records(self, records: Any, checks: Any) -> int:
        raise GrpcError(
            "<AioRpcError of RPC that terminated with: status = StatusCode.UNIMPLEMENTED>"
        )


class OldestEventStoreDB(OlderKurrentDB):
    """EventStoreDB 24.10: one stream per append."""

    async def multi_append_to_stream(self, batches: Any) -> int:
        raise GrpcError("<AioRpcError: status = StatusCode.UNIMPLEMENTED>")


class FakeStoreFactory:
    def __init__(
        self,
        server: type[FakeKurrentDB] = FakeKurrentDB,
        *,
        shared_commit: bool = True,
        checkpoint_every: int = CHECKPOINT_EVERY,
        cached_windows: int = CACHED_WINDOWS,
    ) -> None:
        self.log, self.server = FakeLog(shared_commit=shared_commit), server
        self.ranks = {"checkpoint_every": checkpoint_every, "cached_windows": cached_windows}

    @asynccontextmanager
    async def open(self, *, clock: Clock | None = None) -> AsyncIterator[EventStoreDBEventStore]:
        client = cast(AsyncKurrentDBClient, self.server(self.log))
        async with EventStoreDBEventStore(
            "esdb://fake", clock=clock, client=client, **self.ranks
        ) as store:
            yield store
