"""One group-commit transaction: idempotency, expected versions, positions.

Runs on the writer thread inside ``BEGIN IMMEDIATE``, so what it reads (head,
case versions, stored digests) cannot change under it. The whole group is
planned in memory first, then written: one statement reads the head, the case
versions and whether any id is stored already, from the merged index tables (the
unmerged tail is the writer's ``Tail``, in memory; a second statement reads
retries' bodies), then the new rows go at the end of the log in a few multi-row
inserts. A request that fails its checks (a reused id, a stale expected version)
or cannot be planned is left out alone; the rest of the group is written. The hash chain
(``infra.store.chain``) is extended here too, over the exact bytes inserted.

Statements go by the group, not by the request or the event: the ``sqlite3``
module releases the GIL around every step, and under load each release can
cost the writer a wait for the event loop to hand the GIL back. What can be
done before an event has a place is done by the caller (``infra.sqlite.drafts``).
"""

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from infra.sqlite.drafts import Draft, Place, Placed, recorded_at_bytes
from infra.sqlite.index import Tail
from infra.sqlite.schema import Row, insert_rows
from infra.store.chain import GENESIS, link
from infra.store.port import ConcurrencyError, IdempotencyConflict

Outcome = Placed | Exception
"""What one request gets back: where its events landed, or the error to raise."""

Request = tuple[Sequence[Draft], Mapping[str, int]]
"""One caller's drafts and the case versions it expects."""

Known = tuple[str, bytes]
"""An event recorded before, or earlier in this transaction: its digest and body."""


class Transaction:
    """One group's transaction: the head, case versions and clock it has seen."""

    def __init__(
        self, conn: sqlite3.Connection, now: datetime, tail: Tail, *, chain: bool = True
    ) -> None:
        self._conn, self._now, self._tail, self._chained = conn, now, tail, chain
        self._versions: dict[str, int] = {}
        self._known: dict[str, Known] = {}
        self._rows: list[Row] = []

    def apply_all(self, requests: Sequence[Request]) -> list[Outcome]:
        """Each request's outcome, in order; the new rows of those that succeed are
        written. A ``sqlite3.Error`` escapes: the whole group is then in doubt."""
        drafts = [d for ds, _ in requests for d in ds]
        cases = {d.case_id for d in drafts}.union(*(expected for _, expected in requests))
        self._read_group_state({d.event_id for d in drafts}, cases)
        outcomes = [self._apply(ds, expected) for ds, expected in requests]
        insert_rows(self._conn, self._rows)
        return outcomes

    @property
    def rows(self) -> Sequence[Row]:
        """What ``apply_all`` inserted, in position order."""
        return self._rows

    def _read_group_state(self, event_ids: Collection[str], case_ids: Collection[str]) -> None:
        """The head, the merged versions of the group's cases and how many of its
        ids are merged already, in one statement (each statement costs the writer a
        wait for the GIL); the tail since the merge is the writer's ``Tail``. The
        stored ones, retries, are read only if there are any."""
        head, upto, versions, merged = self._conn.execute(
            _GROUP_STATE, (orjson.dumps(list(event_ids)), orjson.dumps(list(case_ids)))
        ).fetchone()
        top = orjson.loads(head) if head else None
        self._head = top[0] if top else 0
        tail = self._tail
        tail.refresh(self._conn, upto, self._head)
        self._chain: bytes | None = None
        if self._chained:  # a head without a hash (chain was off) cannot be continued
            self._chain = bytes.fromhex(top[2]) if top and top[2] else GENESIS
        last = datetime.fromisoformat(top[1]) if top else None
        self._recorded_at = max(self._now, last) if last else self._now
        self._recorded_at_column = self._recorded_at.isoformat()
        self._recorded_at_body = recorded_at_bytes(self._recorded_at)
        found: dict[str, int | None] = orjson.loads(versions) if versions else {}
        self._versions = {
            case_id: tail.versions.get(case_id) or found.get(case_id) or 0 for case_id in case_ids
        }
        in_tail = [tail.ids[i] for i in event_ids if i in tail.ids]
        if merged or in_tail:
            self._known = self._read_stored(event_ids if merged else (), in_tail)

    def _apply(self, drafts: Sequence[Draft], expected: Mapping[str, int]) -> Outcome:
        try:
            plan = self._plan(drafts, expected)
        except Exception as e:  # a conflict, or a bug in this request: its caller's alone
            return e  # (a plan is memory only: dropping it leaves nothing behind)
        self._versions.update(plan.versions)
        self._head, self._chain = plan.head, plan.chain_hash
        self._rows.extend(plan.rows)
        created = [False] * len(drafts)
        for i in plan.new:
            created[i] = True
            self._known[drafts[i].event_id] = (drafts[i].digest, plan.bodies[i])
        return Placed(self._recorded_at, [plan.place(i) for i in range(len(drafts))], created)

    def _plan(self, drafts: Sequence[Draft], expected: Mapping[str, int]) -> "_Plan":
        plan = _Plan(head=self._head, chain_hash=self._chain)
        for i, d in enumerate(drafts):
            plan.classify(i, d, drafts, self._known.get(d.event_id))
        self._check_versions(expected, drafts, plan)
        for i in plan.new:
            d = drafts[i]
            plan.head += 1
            version = plan.versions.get(d.case_id, self._versions[d.case_id]) + 1
            plan.versions[d.case_id] = version
            body = d.body(self._recorded_at_body, plan.head, version)
            if plan.chain_hash is not None:
                plan.chain_hash = link(plan.chain_hash, body)
            plan.rows.append(self._row(d, plan.head, version, body, plan.chain_hash))
            plan.places[i] = (plan.head, version)
            plan.bodies[i] = body
        return plan

    def _row(
        self, d: Draft, position: int, version: int, body: bytes, chain_hash: bytes | None
    ) -> Row:
        return (
            position,
            d.event_id,
            d.case_id,
            version,
            d.type,
            d.submission.agency,
            d.occurred_at,
            self._recorded_at_column,
            d.digest,
            body,
            None if chain_hash is None else chain_hash.hex(),
        )

    def _check_versions(
        self, expected: Mapping[str, int], drafts: Sequence[Draft], plan: "_Plan"
    ) -> None:
        """Cases this request only retries met their expected version before."""
        retried = {d.case_id for d in drafts} - {drafts[i].case_id for i in plan.new}
        for case_id, version in expected.items():
            if case_id in retried:
                continue
            actual = self._versions[case_id]
            if actual != version:
                raise ConcurrencyError(case_id, version, actual)

    def _read_stored(self, merged: Collection[str], positions: list[int]) -> dict[str, Known]:
        """Digest and body of each id already stored, merged or in the tail."""
        rows = self._conn.execute(_STORED, (orjson.dumps(list(merged)), orjson.dumps(positions)))
        return {event_id: (digest, body) for event_id, digest, body in rows.fetchall()}


_GROUP_STATE = """
SELECT
  (SELECT json_array(position, recorded_at, chain_hash)
     FROM events ORDER BY position DESC LIMIT 1),
  (SELECT upto FROM merged),
  (SELECT json_group_object(value,
       (SELECT max(stream_version) FROM case_streams WHERE case_id = value))
     FROM json_each(?2)),
  (SELECT count(*) FROM event_ids WHERE event_id IN (SELECT value FROM json_each(?1)))
"""
"""A scalar ``max`` per case reads one index entry; ``GROUP BY`` would read all."""
_STORED = """
SELECT e.event_id, e.digest, e.body
  FROM event_ids AS i JOIN events AS e ON e.position = i.position
 WHERE i.event_id IN (SELECT value FROM json_each(?1))
UNION ALL
SELECT event_id, digest, body FROM events WHERE position IN (SELECT value FROM json_each(?2))
"""


@dataclass(slots=True)
class _Plan:
    """What one request does: which drafts are new, retries or duplicates."""

    head: int
    """The last position, this request's new events included."""
    chain_hash: bytes | None
    """The chain value after this request's new events (None: the chain is off)."""
    versions: dict[str, int] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    places: dict[int, Place] = field(default_factory=dict)
    bodies: dict[int, bytes] = field(default_factory=dict)
    """The stored body of each new draft: what a repeat of it is answered with."""
    new: list[int] = field(default_factory=list)
    """Drafts to record: once planned, those this request created."""
    duplicate_of: dict[int, int] = field(default_factory=dict)
    first_index: dict[str, int] = field(default_factory=dict)

    def classify(self, i: int, d: Draft, drafts: Sequence[Draft], known: Known | None) -> None:
        first = self.first_index.setdefault(d.event_id, i)
        if first != i:
            if drafts[first].digest != d.digest:
                raise IdempotencyConflict(d.event_id)
            self.duplicate_of[i] = first
        elif known is not None:
            if known[0] != d.digest:
                raise IdempotencyConflict(d.event_id)
            self.places[i] = known[1]
        else:
            self.new.append(i)

    def place(self, i: int) -> Place:
        """A repeat within the request is answered with what its first was stored
        as (not rebuilt from its own draft: content matches, metadata may not)."""
        first = self.duplicate_of.get(i)
        if first is None:
            return self.places[i]
        return self.bodies.get(first) or self.places[first]
