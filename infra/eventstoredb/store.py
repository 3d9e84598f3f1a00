"""``EventStoreDBEventStore``: the event store on EventStoreDB / KurrentDB.

- Case ``c`` is the stream ``<category>-<c>`` (``case-<c>`` by default); its
  ``stream_version`` is the ESDB stream revision + 1.
- Every append carries an explicit expected revision: the caller's expected
  version, or the version read just before (then a lost race is re-planned).
  The versions are read *before* the idempotency check, so an original written
  in between makes our revision stale instead of being written twice.
- Idempotency: the ESDB event id is the ``event_id``; a stored id with the same
  digest is returned as the original, another digest is ``IdempotencyConflict``.
  Each append tags its events with a random ``append_id``, so if ESDB's own
  idempotent-write check swallowed ours, the read-back shows it was not ours.
- Atomic batches: see ``writer`` (one case: any server; several cases:
  KurrentDB 25.1+, in submission order from 26.1).
- ``position``: the rank in ``$all`` among case events (``PositionIndex``).
- Appends from one process are serialised (one lock): no group commit yet.
- The hash chain cannot be computed here (``$all`` order is known only after
  commit): ``read_bodies`` and ``chain_log`` let one sealer write it beside the
  case streams (``infra.integrity.sealer``).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self
from uuid import uuid4

from kurrentdbclient import AsyncKurrentDBClient, StreamState
from kurrentdbclient import RecordedEvent as ESDBEvent
from kurrentdbclient.exceptions import (
    KurrentDBClientError,
    NotFoundError,
    WrongCurrentVersionError,
)

from events.records import RecordedEvent, Submission
from infra.clock import Clock, SystemClock
from infra.eventstoredb.batch import Plan
from infra.eventstoredb.chain_log import CHAIN_STREAM, ESDBChainLog
from infra.eventstoredb.codec import Stored, index_fields, key, to_new_event
from infra.eventstoredb.index import PositionIndex
from infra.eventstoredb.writer import ESDBWriter, MultiCaseBatchUnsupported, StaleVersion
from infra.integrity.sealing import StoredBody
from infra.store.port import AppendResult, ConcurrencyError, StoreError, StoreUnavailable

__all__ = ["EventStoreDBEventStore", "MultiCaseBatchUnsupported"]

PAGE = 1_000
MAX_ATTEMPTS = 20


@contextlib.contextmanager
def translated(what: str) -> Iterator[None]:
    """Driver errors become ``StoreUnavailable``; version conflicts pass through
    for the caller to interpret."""
    try:
        yield
    except (WrongCurrentVersionError, NotFoundError):
        raise
    except KurrentDBClientError as e:
        raise StoreUnavailable(f"EventStoreDB could not {what}: {e!r}") from e


class EventStoreDBEventStore:
    def __init__(
        self,
        uri: str,
        *,
        clock: Clock | None = None,
        category: str = "case",
        client: AsyncKurrentDBClient | None = None,
    ) -> None:
        """``category`` names the case streams (``<category>-<case id>``) and scopes
        positions to them: tests use a fresh category as a fresh, empty store.
        ``client``: an already built client (or a test double) instead of ``uri``'s."""
        self._uri, self._clock = uri, clock or SystemClock()
        self._prefix = f"{category}-"
        self.chain_stream = CHAIN_STREAM if category == "case" else f"{CHAIN_STREAM}-{category}"
        if self.chain_stream.startswith(self._prefix):
            raise ValueError(f"category {category!r} would count the chain stream as a case")
        self._given_client = client
        self._client: AsyncKurrentDBClient | None = None
        self._writer: ESDBWriter | None = None
        self._index = PositionIndex()
        self._index_lock = asyncio.Lock()
        self._append_lock = asyncio.Lock()
        self._closed = False
        self._subscriptions: set[Any] = set()

    # --- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Connect and build the position index from one scan of ``$all``."""
        if self._closed:
            raise StoreUnavailable("the event store was closed")
        client = self._given_client or AsyncKurrentDBClient(self._uri)
        with translated("connect"):
            await client.connect()
        self._client = client
        self._writer = ESDBWriter(client)
        await self._catch_up()

    async def close(self) -> None:
        """Close the connection; live subscriptions end (their iterators return)."""
        self._closed = True
        for subscription in list(self._subscriptions):
            await subscription.stop()
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- writes ------------------------------------------------------------------

    async def append(
        self,
        submissions: Sequence[Submission],
        *,
        expected_versions: Mapping[str, int] | None = None,
    ) -> AppendResult:
        self._open()
        if not submissions:
            return AppendResult(events=(), created=())
        plan = Plan(submissions)
        async with self._append_lock:
            for _ in range(MAX_ATTEMPTS):
                result = await self._try_append(plan, dict(expected_versions or {}))
                if result is not None:
                    return result
        raise StoreUnavailable("gave up appending after repeated concurrent writes to the case")

    async def _try_append(self, plan: Plan, expected: dict[str, int]) -> AppendResult | None:
        """One attempt; None when a version we read ourselves went stale."""
        cases = {s.case_id for s in plan.submissions} | set(expected)
        ordered = sorted(cases)  # read concurrently: one round trip, not one per case
        versions = dict(
            zip(ordered, await asyncio.gather(*map(self._version, ordered)), strict=True)
        )
        stored = await self._stored(list(plan.first))
        plan.check_stored({i: (s.digest, s.record) for i, s in stored.items()})
        retried = plan.retried_cases(stored)
        for case_id, version in expected.items():
            if case_id not in retried and versions[case_id] != version:
                raise ConcurrencyError(case_id, version, versions[case_id])
        new = plan.new(stored)
        records = {i: s.record for i, s in stored.items()}
        if not new:
            return plan.result(records, set())
        append_id = uuid4().hex
        try:
            await self._write(new, versions, append_id)
        except StaleVersion:
            return None  # someone appended since we read: re-plan against the new state
        written = await self._stored([s.event_id for s in new])
        records.update({i: s.record for i, s in written.items()})
        plan.check_stored({i: (s.digest, s.record) for i, s in written.items()})
        return plan.result(records, {i for i, s in written.items() if s.append_id == append_id})

    async def _write(
        self, new: list[Submission], versions: Mapping[str, int], append_id: str
    ) -> None:
        if self._writer is None:
            raise StoreUnavailable("the event store is not open")
        now = self._clock.now()
        last = self._index.last_recorded_at
        recorded_at = max(now, last) if last else now
        records = [
            (self._stream(s.case_id), to_new_event(s, recorded_at=recorded_at, append_id=append_id))
            for s in new
        ]
        await self._writer.write(records, {self._stream(c): v for c, v in versions.items()})

    # --- reads ---------------------------------------------------------------------

    async def get(self, event_id: str) -> RecordedEvent | None:
        stored = await self._stored([event_id])
        return stored[event_id].record if event_id in stored else None

    async def read_case(self, case_id: str, from_version: int = 1) -> list[RecordedEvent]:
        client = self._open()
        try:
            with translated("read a case"):
                events = await client.get_stream(
                    self._stream(case_id), stream_position=max(from_version - 1, 0)
                )
        except NotFoundError:
            return []
        await self._catch_up()  # after the read: every event read is now indexed
        return [Stored(e, self._rank(key(e))).record for e in events]

    async def read_all(self, from_position: int = 1, limit: int = 1000) -> list[RecordedEvent]:
        await self._catch_up()
        return [s.record for s in await self._read_indexed(from_position, limit)]

    async def head_position(self) -> int:
        await self._catch_up()
        return self._index.head

    async def subscribe(self, from_position: int = 1) -> AsyncIterator[RecordedEvent]:
        """Catch up by paged reads, then follow a catch-up subscription on ``$all``
        (filtered to case streams) from just before the last delivered event,
        skipping what was already delivered; each wake-up pages by rank again."""
        position = max(from_position, 1)
        while True:
            page = await self.read_all(position, PAGE)
            for event in page:
                yield event
                position = event.position + 1
            if len(page) < PAGE:
                break
        start, _ = self._index.commit_before(position - 1)
        subscription = await self._subscribe_all(start)
        self._subscriptions.add(subscription)
        try:
            async for esdb_event in subscription:
                rank = self._index.rank_of_key(key(esdb_event))
                if rank is not None and rank < position:
                    continue  # already delivered by a paged read
                for event in await self.read_all(position, PAGE):
                    yield event
                    position = event.position + 1
            if not self._closed:
                raise StoreUnavailable("EventStoreDB ended the subscription")
        except KurrentDBClientError as e:
            if self._closed:
                return
            raise StoreUnavailable(f"EventStoreDB subscription ended: {e!r}") from e
        finally:
            self._subscriptions.discard(subscription)
            await subscription.stop()

    # --- the hash chain (sealed by ``infra.integrity.sealer``) -------------------------

    async def read_bodies(self, from_position: int = 1, limit: int = PAGE) -> list[StoredBody]:
        """The exact data bytes of each event, undecoded: what the chain covers."""
        await self._catch_up()
        ranked = await self._read_ranked(from_position, limit)
        return [StoredBody(rank, str(e.id), bytes(e.data)) for rank, e in ranked]

    def chain_log(self) -> ESDBChainLog:
        """The ``safeguard-chain`` stream beside this store's case streams."""
        return ESDBChainLog(self._open(), self.chain_stream)

    # --- internals -----------------------------------------------------------------

    def _open(self) -> AsyncKurrentDBClient:
        if self._client is None or self._closed:
            raise StoreUnavailable("the event store is not open")
        return self._client

    def _stream(self, case_id: str) -> str:
        return f"{self._prefix}{case_id}"

    def _filter(self) -> dict[str, Any]:
        return {
            "filter_include": (self._prefix,),
            "filter_by_stream_name": True,
            "filter_by_prefix": True,
        }

    async def _version(self, case_id: str) -> int:
        with translated("read a case version"):
            current = await self._open().get_current_version(self._stream(case_id))
        return 0 if current is StreamState.NO_STREAM else int(current) + 1

    async def _catch_up(self) -> None:
        """Index every case event committed since the last one indexed."""
        async with self._index_lock:
            extra = 0
            while True:
                start, overlap = self._index.commit_before(self._index.head)
                limit = PAGE + overlap + extra
                seen = added = 0
                for event in await self._scan(start, limit):
                    seen += 1
                    added += self._index.add(key(event), *index_fields(event))
                if seen < limit:
                    return  # reached the end of $all
                extra = 0 if added else extra + PAGE  # no progress: read further

    async def _read_indexed(self, from_position: int, limit: int) -> list[Stored]:
        """Events at ranks ``from_position``.. (up to the indexed head), decoded."""
        return [Stored(e, rank) for rank, e in await self._read_ranked(from_position, limit)]

    async def _read_ranked(self, from_position: int, limit: int) -> list[tuple[int, ESDBEvent]]:
        """Events at ranks ``from_position``.. (up to the indexed head), as stored."""
        position = max(from_position, 1)
        if position > self._index.head or limit <= 0:
            return []
        first, out = self._index.key_at(position), list[tuple[int, ESDBEvent]]()
        start, overlap = self._index.commit_before(position)
        for event in await self._scan(start, limit + overlap):
            if key(event) < first:
                continue
            if position > self._index.head or len(out) == limit:
                break
            out.append((position, event))
            position += 1
        return out

    async def _scan(self, commit_position: int | None, limit: int) -> list[ESDBEvent]:
        """Up to ``limit`` case events of ``$all`` in order, from ``commit_position``
        (None: the start), read in full so the gRPC stream is closed on return."""
        with translated("read $all"):
            async with await self._open().read_all(
                commit_position=commit_position, limit=limit, **self._filter()
            ) as events:
                return [event async for event in events]

    async def _stored(self, event_ids: Sequence[str]) -> dict[str, Stored]:
        """The stored events among ``event_ids``, by id (after catching up)."""
        await self._catch_up()
        wanted = {r: e for e in event_ids if (r := self._index.rank_of_event(e)) is not None}
        found: dict[str, Stored] = {}
        for first, last in _runs(sorted(wanted)):
            for stored in await self._read_indexed(first, last - first + 1):
                if wanted.get(stored.record.position) == stored.event_id:
                    found[stored.event_id] = stored
        return found

    def _rank(self, event_key: tuple[int, int]) -> int:
        rank = self._index.rank_of_key(event_key)
        if rank is None:
            raise StoreError(f"event at {event_key} is not in the position index")
        return rank

    async def _subscribe_all(self, commit_position: int | None) -> Any:
        with translated("subscribe to $all"):
            return await self._open().subscribe_to_all(
                commit_position=commit_position, **self._filter()
            )


def _runs(ranks: list[int], gap: int = 64) -> list[tuple[int, int]]:
    """Sorted ranks as (first, last) ranges, merging near neighbours: one read per
    range instead of one per event (a batch's events are usually contiguous)."""
    runs: list[tuple[int, int]] = []
    for rank in ranks:
        if runs and rank - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], rank)
        else:
            runs.append((rank, rank))
    return runs
