"""One group-commit transaction: idempotency, expected versions, positions.

Runs on the writer thread inside ``BEGIN IMMEDIATE``, so what it reads (head,
case versions, stored digests) cannot change under it. The whole group is
planned in memory first, then written: one read of the stored ids and one of
the case versions for the group, then its new rows in a few multi-row inserts.
A request that fails its checks (a reused id, a stale expected version, a body
that cannot be encoded) is left out of the plan alone; the rest of the group is
written. The hash chain (``infra.store.chain``) is extended here too, over the
exact bytes inserted, so it costs one SHA-256 per event and no extra read.

Statements go by the group, not by the request or the event: the ``sqlite3``
module releases the GIL around every step, and under load each release can
cost the writer a wait for the event loop to hand the GIL back.
"""

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from events.records import RecordedEvent, Submission
from infra.store.chain import GENESIS, link
from infra.store.port import AppendResult, ConcurrencyError, IdempotencyConflict
from infra.store.sqlite_schema import Row, decode, encode, insert_rows, row

Outcome = AppendResult | Exception
"""What one request gets back: its result, or the error to raise to its caller."""

Request = tuple[Sequence[Submission], Mapping[str, int]]
"""One caller's submissions and the case versions it expects."""

Known = tuple[str, RecordedEvent]
"""An event already recorded (or planned earlier in this transaction): digest, record."""


class Transaction:
    """One group's transaction: the head, case versions and clock it has seen."""

    def __init__(self, conn: sqlite3.Connection, now: datetime, *, chain: bool = True) -> None:
        self._conn = conn
        top = conn.execute(
            "SELECT position, recorded_at, chain_hash FROM events ORDER BY position DESC LIMIT 1"
        ).fetchone()
        self._head = top[0] if top else 0
        self._chain: bytes | None = None
        if chain:  # a head without a hash (chain was off) cannot be continued: restart
            self._chain = bytes.fromhex(top[2]) if top and top[2] else GENESIS
        last = datetime.fromisoformat(top[1]) if top else None
        self._recorded_at = max(now, last) if last else now
        self._versions: dict[str, int] = {}
        self._stored: dict[str, tuple[str, bytes]] = {}
        self._planned: dict[str, Known] = {}
        self._rows: list[Row] = []

    def apply_all(self, requests: Sequence[Request]) -> list[Outcome]:
        """Each request's outcome, in order; the new rows of those that succeed are
        written. A ``sqlite3.Error`` escapes: the whole group is then in doubt."""
        submissions = [sub for subs, _ in requests for sub in subs]
        self._stored = self._read_stored({sub.event_id for sub in submissions})
        cases = {sub.case_id for sub in submissions}
        self._load_versions(cases.union(*(expected for _, expected in requests)))
        outcomes = [self._apply(subs, expected) for subs, expected in requests]
        insert_rows(self._conn, self._rows)
        return outcomes

    def _apply(self, submissions: Sequence[Submission], expected: Mapping[str, int]) -> Outcome:
        try:
            plan = self._plan(submissions, expected)
        except Exception as e:  # a conflict, or a bug in this request: handed to its caller
            return e
        self._versions.update(plan.versions)
        self._head, self._chain = plan.head, plan.chain_hash
        self._rows.extend(plan.rows)
        self._planned.update(
            (record.event_id, (plan.digests[i], record))
            for i, record in plan.records.items()
            if i in plan.created
        )
        return plan.result()

    def _plan(self, submissions: Sequence[Submission], expected: Mapping[str, int]) -> "_Plan":
        plan = _Plan(submissions, head=self._head, chain_hash=self._chain)
        for i, sub in enumerate(submissions):
            plan.classify(i, sub, self._known(sub.event_id))
        self._check_versions(expected, plan)
        recorded_at = self._recorded_at.isoformat()
        for i, sub in plan.new():
            plan.head += 1
            case_id = sub.case_id
            version = plan.versions.get(case_id, self._versions[case_id]) + 1
            plan.versions[case_id] = version
            record = RecordedEvent.from_submission(
                sub, position=plan.head, stream_version=version, recorded_at=self._recorded_at
            )
            body = encode(record)
            if plan.chain_hash is not None:
                plan.chain_hash = link(plan.chain_hash, body)
            plan.rows.append(row(record, plan.digests[i], body, plan.chain_hash, recorded_at))
            plan.record(i, record)
        return plan

    def _known(self, event_id: str) -> Known | None:
        planned = self._planned.get(event_id)
        if planned is not None:
            return planned
        stored = self._stored.get(event_id)
        return None if stored is None else (stored[0], decode(stored[1]))

    def _check_versions(self, expected: Mapping[str, int], plan: "_Plan") -> None:
        retried = plan.retried_cases()
        for case_id, version in expected.items():
            if case_id in retried:
                continue
            actual = self._versions[case_id]
            if actual != version:
                raise ConcurrencyError(case_id, version, actual)

    def _read_stored(self, event_ids: Collection[str]) -> dict[str, tuple[str, bytes]]:
        """Digest and body of each id already stored: one query for the group
        (a plain one for a single event)."""
        ids = list(event_ids)
        if len(ids) == 1:
            rows = self._conn.execute(_STORED_ONE, ids)
        else:
            rows = self._conn.execute(_STORED_MANY, (orjson.dumps(ids),))
        return {event_id: (digest, body) for event_id, digest, body in rows.fetchall()}

    def _load_versions(self, case_ids: Collection[str]) -> None:
        """Each case's current version into ``self._versions``: one query, one row
        (a JSON object). A scalar ``max`` per case reads one index entry;
        ``GROUP BY`` would read all."""
        missing = [case_id for case_id in case_ids if case_id not in self._versions]
        if len(missing) == 1:
            (version,) = self._conn.execute(
                "SELECT max(stream_version) FROM events WHERE case_id = ?", missing
            ).fetchone()
            self._versions[missing[0]] = version or 0
        if len(missing) < 2:
            return
        (found,) = self._conn.execute(
            "SELECT json_group_object(value, (SELECT max(stream_version) FROM events"
            " WHERE case_id = value)) FROM json_each(?)",
            (orjson.dumps(missing),),
        ).fetchone()
        versions: dict[str, int | None] = orjson.loads(found)
        self._versions.update({case_id: versions.get(case_id) or 0 for case_id in missing})


_STORED_ONE = "SELECT event_id, digest, body FROM events WHERE event_id = ?"
_STORED_MANY = (
    "SELECT event_id, digest, body FROM events WHERE event_id IN (SELECT value FROM json_each(?))"
)


@dataclass(slots=True)
class _Plan:
    """What one request does: which submissions are new, retries or duplicates."""

    submissions: Sequence[Submission]
    head: int
    """The last position, this request's new events included."""
    chain_hash: bytes | None
    """The chain value after this request's new events (None: the chain is off)."""
    versions: dict[str, int] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    records: dict[int, RecordedEvent] = field(default_factory=dict)
    duplicate_of: dict[int, int] = field(default_factory=dict)
    first_index: dict[str, int] = field(default_factory=dict)
    new_cases: set[str] = field(default_factory=set)
    created: set[int] = field(default_factory=set)

    def classify(self, i: int, sub: Submission, known: Known | None) -> None:
        digest = sub.digest()
        self.digests.append(digest)
        first = self.first_index.setdefault(sub.event_id, i)
        if first != i:
            if self.digests[first] != digest:
                raise IdempotencyConflict(sub.event_id)
            self.duplicate_of[i] = first
        elif known is not None:
            if known[0] != digest:
                raise IdempotencyConflict(sub.event_id)
            self.records[i] = known[1]
        else:
            self.new_cases.add(sub.case_id)

    def new(self) -> list[tuple[int, Submission]]:
        return [
            (i, s)
            for i, s in enumerate(self.submissions)
            if i not in self.records and i not in self.duplicate_of
        ]

    def retried_cases(self) -> set[str]:
        """Cases this request only retries: their expected version was met before."""
        return {s.case_id for s in self.submissions} - self.new_cases

    def record(self, i: int, record: RecordedEvent) -> None:
        self.records[i] = record
        self.created.add(i)

    def result(self) -> AppendResult:
        n = len(self.submissions)
        created = tuple(i in self.created for i in range(n))
        events = tuple(self.records[self.duplicate_of.get(i, i)] for i in range(n))
        return AppendResult(events=events, created=created)
