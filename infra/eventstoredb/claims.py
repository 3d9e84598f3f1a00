"""``ClaimRegistry``: which event ids are taken, kept in EventStoreDB itself.

ESDB checks event ids only within one stream, and finding an event by id would
need an index of the whole log. So before an event is written, its id is
claimed: one event in the stream ``safeguard-id-<event id>`` written with an
expected revision (no stream for the first claim), naming the case, the digest
and the case stream revision the writer read. The claim stream is then the
index: ``get`` and idempotency checks read it and look at the case stream from
that revision on.

States, from the claim stream's last event and the case stream:

- *landed*: the event is in the case stream at or after the claimed revision;
- *pending*: claimed, not (yet) in the case stream: the writer is still at it,
  or crashed between claim and append. The claim binds the content: another
  digest is an ``IdempotencyConflict``; a retry with the same digest takes the
  claim over (compare-and-set on the claim stream) and writes it;
- *dead*: the writer's append definitively failed (a version conflict); the id
  is free again.

Why it is safe: every writer reads the case version *before* it looks for the
id, and writes with that version expected, so an event that lands after the
look makes the write stale instead of landing twice.
"""

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient import RecordedEvent as ESDBEvent
from kurrentdbclient.exceptions import KurrentDBClientError, NotFoundError, WrongCurrentVersionError

from events.records import Submission
from infra.eventstoredb.codec import Stored
from infra.store.port import StoreUnavailable

PENDING, DEAD = "claim.pending", "claim.dead"


@dataclass(frozen=True, slots=True)
class Claim:
    case_id: str
    digest: str
    first_revision: int
    """The lowest case stream revision the event can be at (since the last death)."""
    revision: int
    """The claim stream's own last revision: the expected one for a takeover."""
    dead: bool


class ClaimRegistry:
    def __init__(self, client: AsyncKurrentDBClient, prefix: str) -> None:
        self._client, self._prefix = client, prefix

    def stream(self, event_id: str) -> str:
        return f"{self._prefix}{event_id}"

    async def read(self, event_ids: Iterable[str]) -> dict[str, Claim]:
        """The claims of ``event_ids`` that exist (one concurrent read each)."""
        ids = list(dict.fromkeys(event_ids))
        found = await asyncio.gather(*map(self._read_one, ids))
        return {i: c for i, c in zip(ids, found, strict=True) if c is not None}

    async def claim(
        self,
        subs: Iterable[Submission],
        revisions: Mapping[str, int],
        current: Mapping[str, Claim],
        claimed: dict[str, int],
    ) -> bool:
        """Claim each submission's id at its case's ``revisions``; False if another
        writer claimed one first (the caller re-plans). ``claimed`` gains the claim
        stream revision of each claim written, for ``release``."""
        subs = list(subs)
        outcomes = await asyncio.gather(
            *(self._claim_one(s, revisions[s.case_id], current.get(s.event_id)) for s in subs),
            return_exceptions=True,
        )
        lost = False
        for sub, outcome in zip(subs, outcomes, strict=True):
            if isinstance(outcome, int):
                claimed[sub.event_id] = outcome
            elif isinstance(outcome, WrongCurrentVersionError):
                lost = True
            elif isinstance(outcome, KurrentDBClientError):
                raise StoreUnavailable(f"EventStoreDB could not claim an event id: {outcome!r}")
            elif isinstance(outcome, BaseException):
                raise outcome
        return not lost

    async def backfill(self, records: Iterable[Stored]) -> int:
        """Claim already stored events that have no claim; how many were claimed."""
        outcomes = await asyncio.gather(
            *(self._backfill_one(r) for r in records), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, KurrentDBClientError):
                raise StoreUnavailable(f"EventStoreDB could not claim an event id: {outcome!r}")
            if isinstance(outcome, BaseException):
                raise outcome
        return sum(outcome is True for outcome in outcomes)

    async def _backfill_one(self, stored: Stored) -> bool:
        record = stored.record
        data = {
            "case_id": record.case_id,
            "digest": stored.digest,
            "revision": record.stream_version - 1,
        }
        event = NewEvent(type=PENDING, data=orjson.dumps(data))
        try:
            await self._client.append_to_stream(
                self.stream(record.event_id), events=[event], current_version=StreamState.NO_STREAM
            )
        except WrongCurrentVersionError:
            return False  # already claimed
        return True

    async def release(self, claimed: Mapping[str, int]) -> None:
        """Mark our claims dead after our append definitively failed. Best effort:
        a claim taken over meanwhile is left alone; one left pending only binds
        its content to the id."""
        for event_id, revision in claimed.items():
            event = NewEvent(type=DEAD, data=b"{}")
            try:
                await self._client.append_to_stream(
                    self.stream(event_id), events=[event], current_version=revision
                )
            except KurrentDBClientError:
                continue

    async def _claim_one(self, sub: Submission, revision: int, current: Claim | None) -> int:
        data = {"case_id": sub.case_id, "digest": sub.digest(), "revision": revision}
        event = NewEvent(type=PENDING, data=orjson.dumps(data))
        expected: Any = StreamState.NO_STREAM if current is None else current.revision
        await self._client.append_to_stream(
            self.stream(sub.event_id), events=[event], current_version=expected
        )
        return 0 if current is None else current.revision + 1

    async def _read_one(self, event_id: str) -> Claim | None:
        try:
            events = await self._client.get_stream(self.stream(event_id))
        except NotFoundError:
            return None
        except KurrentDBClientError as e:
            raise StoreUnavailable(f"EventStoreDB could not read a claim: {e!r}") from e
        return _state(events)


def _state(events: tuple[ESDBEvent, ...]) -> Claim | None:
    if not events:
        return None
    last, since_death = events[-1], list[dict[str, Any]]()
    for event in events:
        if event.type == DEAD:
            since_death = []
        elif event.type == PENDING:
            since_death.append(orjson.loads(event.data))
    if last.type == DEAD or not since_death:
        return Claim("", "", 0, last.stream_position, dead=True)
    latest = since_death[-1]
    first = min(int(d["revision"]) for d in since_death)
    return Claim(str(latest["case_id"]), str(latest["digest"]), first, last.stream_position, False)
