"""``EventStoreDBEventStore``: the event store on EventStoreDB / KurrentDB.

- Case ``c`` is the stream ``<category>-<c>`` (``case-<c>`` by default); its
  ``stream_version`` is the ESDB stream revision + 1.
- Every append carries an explicit expected revision: the caller's expected
  version, or the version read just before (then a lost race is re-planned).
  The versions are read *before* the idempotency check, so an original written
  in between makes our revision stale instead of being written twice.
- Idempotency: the ESDB event id is the ``event_id``, claimed store-wide in
  ``safeguard-id-<event id>`` before it is written (``claims``); a stored id with
  the same digest is returned as the original, another digest is
  ``IdempotencyConflict``. Each append tags its events with a random
  ``append_id``, so if ESDB's own idempotent-write check swallowed ours, the
  read-back shows it was not ours.
- Atomic batches: see ``writer`` (one case: any server; several cases:
  KurrentDB 25.1+, in submission order from 26.1).
- ``position``: the rank in ``$all`` among case events (``SparseRanks``), with
  every 1024th rank persisted in ``safeguard-ranks``: start-up reads those
  checkpoints and scans ``$all`` only after the last one.
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

import orjson
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
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
from infra.eventstoredb.claims import Claim, ClaimRegistry
from infra.eventstoredb.codec import Key, Stored, key, recorded_at, to_new_event
from infra.eventstoredb.ranks import (
    CACHED_WINDOWS,
    CHECKPOINT_EVERY,
    Mark,
    SparseRanks,
    next_mark,
)
from infra.eventstoredb.writer import ESDBWriter, MultiCaseBatchUnsupported, StaleVersion
from infra.integrity.sealing import StoredBody
from infra.store.port import (
    AppendResult,
    ConcurrencyError,
    IdempotencyConflict,
    StoreError,
    StoreUnavailable,
)

__all__ = ["EventStoreDBEventStore", "MultiCaseBatchUnsupported"]

PAGE = 1_000
MAX_ATTEMPTS = 20
RANKS_STREAM = "safeguard-ranks"
CLAIM_PREFIX = "safeguard-id-"
CHECKPOINT_TYPE = "ranks.checkpoint"


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
        checkpoint_every: int = CHECKPOINT_EVERY,
        cached_windows: int = CACHED_WINDOWS,
    ) -> None:
        """``category`` names the case streams (``<category>-<case id>``) and scopes
        positions to them: tests use a fresh category as a fresh, empty store.
        ``client``: an already built client (or a test double) instead of ``uri``'s.
        ``checkpoint_every`` must be the same for every process on one store (a
        checkpoint that disagrees stops start-up); ``cached_windows`` bounds the
        ranks kept in memory between checkpoints (``checkpoint_every`` each)."""
        self._uri, self._clock = uri, clock or SystemClock()
        self._prefix = f"{category}-"
        suffix = "" if category == "case" else f"-{category}"
        self.chain_stream = f"{CHAIN_STREAM}{suffix}"
        self.ranks_stream = f"{RANKS_STREAM}{suffix}"
        self._claim_prefix = CLAIM_PREFIX if category == "case" else f"{CLAIM_PREFIX}{category}-"
        for stream in (self.chain_stream, self.ranks_stream, self._claim_prefix):
            if stream.startswith(self._prefix):
                raise ValueError(f"category {category!r} would count {stream} as a case")
        self._given_client = client
        self._client: AsyncKurrentDBClient | None = None
        self._writer: ESDBWriter | None = None
        self._ranks = SparseRanks(checkpoint_every, cached_windows)
        self._saved_checkpoints = 0
        self._claims: ClaimRegistry | None = None
        self._index_lock = asyncio.Lock()
        self._append_lock = asyncio.Lock()
        self._closed = False
        self._subscriptions: set[Any] = set()

    # --- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Connect, load the rank checkpoints and scan ``$all`` after the last one."""
        if self._closed:
            raise StoreUnavailable("the event store was closed")
        client = self._given_client or AsyncKurrentDBClient(self._uri)
        with translated("connect"):
            await client.connect()
        self._client = client
        self._writer = ESDBWriter(client)
        self._claims = ClaimRegistry(client, self._claim_prefix)
        self._ranks.load(await self._read_checkpoints())
        self._saved_checkpoints = len(self._ranks.checkpoints)
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
        claimed: dict[str, int] = {}
        async with self._append_lock:
            try:
                for _ in range(MAX_ATTEMPTS):
                    result = await self._try_append(plan, dict(expected_versions or {}), claimed)
                    if result is not None:
                        return result
            except (ConcurrencyError, IdempotencyConflict):
                await self._registry().release(claimed)  # our writes were all refused
                raise
        raise StoreUnavailable("gave up appending after repeated concurrent writes to the case")

    async def _try_append(
        self, plan: Plan, expected: dict[str, int], claimed: dict[str, int]
    ) -> AppendResult | None:
        """One attempt; None when a version or claim we read went stale."""
        cases = {s.case_id for s in plan.submissions} | set(expected)
        ordered = sorted(cases)  # read concurrently: one round trip, not one per case
        versions = dict(
            zip(ordered, await asyncio.gather(*map(self._version, ordered)), strict=True)
        )
        claims, stored = await self._landed(list(plan.first))
        plan.check_stored({i: s.digest for i, s in stored.items()})
        plan.check_stored({i: c.digest for i, c in claims.items() if not c.dead})
        retried = plan.retried_cases(stored)
        for case_id, version in expected.items():
            if case_id not in retried and versions[case_id] != version:
                raise ConcurrencyError(case_id, version, versions[case_id])
        new = plan.new(stored)
        records = {i: s.record for i, s in stored.items()}
        if not new:
            return plan.result(records, set())
        if not await self._registry().claim(new, versions, claims, claimed):
            return None  # another writer claimed an id first: re-plan
        append_id = uuid4().hex
        try:
            await self._write(new, versions, append_id)
        except StaleVersion:
            return None  # someone appended since we read: re-plan against the new state
        written = await self._read_back(new, versions)
        records.update({i: s.record for i, s in written.items()})
        plan.check_stored({i: s.digest for i, s in written.items()})
        return plan.result(records, {i for i, s in written.items() if s.append_id == append_id})

    async def _write(
        self, new: list[Submission], versions: Mapping[str, int], append_id: str
    ) -> None:
        if self._writer is None:
            raise StoreUnavailable("the event store is not open")
        now = self._clock.now()
        last = self._ranks.last_recorded_at
        recorded = max(now, last) if last else now
        records = [
            (self._stream(s.case_id), to_new_event(s, recorded_at=recorded, append_id=append_id))
            for s in new
        ]
        await self._writer.write(records, {self._stream(c): v for c, v in versions.items()})

    async def _read_back(
        self, new: list[Submission], versions: Mapping[str, int]
    ) -> dict[str, Stored]:
        """What landed at the versions we wrote at (ours, or ESDB's idempotent no-op's)."""
        wanted = {s.event_id for s in new}
        events = []
        for case_id in dict.fromkeys(s.case_id for s in new):
            events += await self._case_tail(case_id, versions[case_id])
        return await self._decoded([e for e in events if str(e.id) in wanted])

    # --- reads ---------------------------------------------------------------------

    async def get(self, event_id: str) -> RecordedEvent | None:
        _, stored = await self._landed([event_id])
        return stored[event_id].record if event_id in stored else None

    async def read_case(self, case_id: str, from_version: int = 1) -> list[RecordedEvent]:
        events = await self._case_tail(case_id, max(from_version - 1, 0))
        if events:
            await self._catch_up()  # after the read: every event read is now ranked
        return [Stored(e, await self._rank(key(e))).record for e in events]

    async def read_all(self, from_position: int = 1, limit: int = 1000) -> list[RecordedEvent]:
        await self._catch_up()
        return [s.record for s in await self._read_indexed(from_position, limit)]

    async def head_position(self) -> int:
        await self._catch_up()
        return self._ranks.head

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
        mark = await self._mark_at(min(position - 1, self._ranks.head))
        subscription = await self._subscribe_all(mark.before if mark else None)
        self._subscriptions.add(subscription)
        try:
            async for esdb_event in subscription:
                rank = await self._rank_or_none(key(esdb_event))
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

    async def backfill_claims(self) -> int:
        """Claim the ids of events written before claims existed (one pass over the
        log; safe to repeat and to run beside writers). Returns the claims written."""
        written, position = 0, 1
        await self._catch_up()
        while page := await self._read_indexed(position, PAGE):
            written += await self._registry().backfill(page)
            position = page[-1].record.position + 1
        return written

    def chain_log(self) -> ESDBChainLog:
        """The ``safeguard-chain`` stream beside this store's case streams."""
        return ESDBChainLog(self._open(), self.chain_stream)

    # --- internals -----------------------------------------------------------------

    def _open(self) -> AsyncKurrentDBClient:
        if self._client is None or self._closed:
            raise StoreUnavailable("the event store is not open")
        return self._client

    def _registry(self) -> ClaimRegistry:
        if self._claims is None or self._closed:
            raise StoreUnavailable("the event store is not open")
        return self._claims

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

    async def _case_tail(self, case_id: str, revision: int) -> list[ESDBEvent]:
        """A case stream's events from ``revision`` on."""
        try:
            with translated("read a case"):
                events = await self._open().get_stream(
                    self._stream(case_id), stream_position=revision
                )
        except NotFoundError:
            return []
        return list(events)

    async def _landed(self, event_ids: Sequence[str]) -> tuple[dict[str, Claim], dict[str, Stored]]:
        """The claims of ``event_ids``, and the events among them that landed, by id."""
        claims = await self._registry().read(event_ids)
        live = {i: c for i, c in claims.items() if not c.dead}
        since: dict[str, int] = {}
        for claim in live.values():
            since[claim.case_id] = min(
                since.get(claim.case_id, claim.first_revision), claim.first_revision
            )
        events = []
        for case_id, revision in since.items():
            events += [e for e in await self._case_tail(case_id, revision) if str(e.id) in live]
        return claims, await self._decoded(events)

    async def _decoded(self, events: Sequence[ESDBEvent]) -> dict[str, Stored]:
        """Events read from case streams, with their ranks, by id (after catching up)."""
        if events:
            await self._catch_up()  # after the read: every event read is now ranked
        decoded: dict[str, Stored] = {}
        for event in events:
            stored = Stored(event, await self._rank(key(event)))
            decoded.setdefault(stored.event_id, stored)
        return decoded

    # --- ranks -----------------------------------------------------------------------

    async def _catch_up(self) -> None:
        """Rank every case event committed since the last one ranked."""
        async with self._index_lock:
            extra = 0
            while True:
                last = self._ranks.last
                start, skip = (last.before, last.reach) if last else (None, 0)
                limit = PAGE + skip + extra
                events = await self._scan(start, limit)
                added = sum([self._ranks.add(key(event)) for event in events])
                if events:
                    self._ranks.last_recorded_at = recorded_at(events[-1])
                await self._save_checkpoints()
                if len(events) < limit:
                    return  # reached the end of $all
                extra = 0 if added else extra + PAGE  # no progress: read further

    async def _read_checkpoints(self) -> list[Mark]:
        marks: list[Mark] = []
        while True:
            try:
                with translated("read the rank checkpoints"):
                    page = await self._open().get_stream(
                        self.ranks_stream, stream_position=len(marks), limit=PAGE
                    )
            except NotFoundError:
                return marks
            marks += [self._checkpoint(e, len(marks) + i) for i, e in enumerate(page)]
            if len(page) < PAGE:
                return marks

    def _checkpoint(self, event: ESDBEvent, index: int) -> Mark:
        data = orjson.loads(event.data)
        if data["rank"] != (index + 1) * self._ranks.every:
            raise StoreError(f"{self.ranks_stream} event {index} is not rank checkpoint {index}")
        return Mark(
            (data["commit"], data["prepare"]), data["before"], data["before_count"], data["txn"]
        )

    async def _save_checkpoints(self) -> None:
        """Persist checkpoints this process found first (another may have written them:
        ranks are the same for every reader, so its copy stands)."""
        checkpoints = self._ranks.checkpoints
        for index in range(self._saved_checkpoints, len(checkpoints)):
            mark = checkpoints[index]
            data = {
                "rank": (index + 1) * self._ranks.every,
                "commit": mark.key[0],
                "prepare": mark.key[1],
                "before": mark.before,
                "before_count": mark.before_count,
                "txn": mark.txn,
            }
            event = NewEvent(type=CHECKPOINT_TYPE, data=orjson.dumps(data))
            try:
                with translated("save a rank checkpoint"):
                    await self._open().append_to_stream(
                        self.ranks_stream,
                        events=[event],
                        current_version=StreamState.NO_STREAM if index == 0 else index - 1,
                    )
            except WrongCurrentVersionError:
                pass
            self._saved_checkpoints = index + 1

    async def _window(self, window: int) -> list[Mark]:
        """The marks of the ranks in ``window``, read from ``$all`` if not in memory."""
        marks = self._ranks.window(window)
        if marks is not None:
            return marks
        entry = self._ranks.entry(window)
        start, skip = (entry.before, entry.reach) if entry else (None, 0)
        marks, mark = [], entry
        for event in await self._scan(start, self._ranks.every + skip):
            if entry is not None and key(event) <= entry.key:
                continue
            mark = next_mark(mark, key(event))
            marks.append(mark)
            if len(marks) == self._ranks.every:
                break
        if not marks or marks[-1] != self._ranks.checkpoints[window]:
            raise StoreError(f"$all no longer matches rank checkpoint {window}")
        self._ranks.remember(window, marks)
        return marks

    async def _mark_at(self, rank: int) -> Mark | None:
        if rank < 1:
            return None
        window = self._ranks.window_of_rank(rank)
        marks = await self._window(window)
        return marks[rank - 1 - window * self._ranks.every]

    async def _rank_or_none(self, event_key: Key) -> int | None:
        window = self._ranks.window_of_key(event_key)
        return self._ranks.rank_in(window, await self._window(window), event_key)

    async def _rank(self, event_key: Key) -> int:
        rank = await self._rank_or_none(event_key)
        if rank is None:
            raise StoreError(f"event at {event_key} is not ranked")
        return rank

    async def _read_indexed(self, from_position: int, limit: int) -> list[Stored]:
        """Events at ranks ``from_position``.. (up to the ranked head), decoded."""
        return [Stored(e, rank) for rank, e in await self._read_ranked(from_position, limit)]

    async def _read_ranked(self, from_position: int, limit: int) -> list[tuple[int, ESDBEvent]]:
        """Events at ranks ``from_position``.. (up to the ranked head), as stored."""
        position, head = max(from_position, 1), self._ranks.head
        if position > head or limit <= 0:
            return []
        mark = await self._mark_at(position - 1)
        start, skip = (mark.before, mark.reach) if mark else (None, 0)
        out: list[tuple[int, ESDBEvent]] = []
        for event in await self._scan(start, limit + skip):
            if mark is not None and key(event) <= mark.key:
                continue
            if position > head or len(out) == limit:
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

    async def _subscribe_all(self, commit_position: int | None) -> Any:
        with translated("subscribe to $all"):
            return await self._open().subscribe_to_all(
                commit_position=commit_position, **self._filter()
            )
