"""One group-commit transaction: idempotency, expected versions, positions.

Runs on the writer thread inside ``BEGIN IMMEDIATE``, so what it reads (head,
case versions, stored digests) cannot change under it. All checks run before
any insert; the per-request SAVEPOINT still undoes a request that fails part
way (e.g. metadata that cannot be encoded), leaving the rest of the group.
The hash chain (``infra.store.chain``) is extended here too, over the exact
bytes inserted, so it costs one SHA-256 per event and no extra read.

Reads and inserts go by the request, not by the event: the ``sqlite3`` module
releases the GIL around every step, and under load each release can cost the
writer a wait for the event loop to hand the GIL back.
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

    def apply(self, submissions: Sequence[Submission], expected: Mapping[str, int]) -> Outcome:
        self._conn.execute("SAVEPOINT request")
        try:
            result, versions, head, chain_hash = self._append(submissions, expected)
        except sqlite3.Error:
            raise  # the transaction itself is in doubt: the whole group fails
        except Exception as e:  # a conflict, or a bug in this request: handed to its caller
            self._conn.execute("ROLLBACK TO request")
            self._conn.execute("RELEASE request")
            return e
        self._conn.execute("RELEASE request")
        self._versions.update(versions)
        self._head, self._chain = head, chain_hash
        return result

    def _append(
        self, submissions: Sequence[Submission], expected: Mapping[str, int]
    ) -> tuple[AppendResult, dict[str, int], int, bytes | None]:
        plan = _Plan(submissions)
        stored = self._stored({sub.event_id for sub in submissions})
        for i, sub in enumerate(submissions):
            plan.classify(i, sub, stored.get(sub.event_id))
        self._check_versions(expected, plan)
        new = plan.new()
        self._load_versions({sub.case_id for _, sub in new})
        versions: dict[str, int] = {}
        head, chain_hash = self._head, self._chain
        rows: list[Row] = []
        recorded_at = self._recorded_at.isoformat()
        for i, sub in new:
            head += 1
            case_id = sub.case_id
            versions[case_id] = version = versions.get(case_id, self._versions[case_id]) + 1
            record = RecordedEvent.from_submission(
                sub, position=head, stream_version=version, recorded_at=self._recorded_at
            )
            body = encode(record)
            chain_hash = None if chain_hash is None else link(chain_hash, body)
            rows.append(row(record, plan.digests[i], body, chain_hash, recorded_at))
            plan.record(i, record)
        insert_rows(self._conn, rows)
        return plan.result(), versions, head, chain_hash

    def _check_versions(self, expected: Mapping[str, int], plan: "_Plan") -> None:
        if not expected:
            return
        retried = plan.retried_cases()
        self._load_versions(set(expected) - retried)
        for case_id, version in expected.items():
            if case_id in retried:
                continue
            actual = self._versions[case_id]
            if actual != version:
                raise ConcurrencyError(case_id, version, actual)

    def _stored(self, event_ids: Collection[str]) -> dict[str, tuple[str, bytes]]:
        """Digest and body of each id already stored: one query per request
        (a plain one for a single event, the common request)."""
        ids = list(event_ids)
        if len(ids) == 1:
            rows = self._conn.execute(_STORED_ONE, ids)
        else:
            rows = self._conn.execute(_STORED_MANY, (orjson.dumps(ids),))
        return {event_id: (digest, body) for event_id, digest, body in rows.fetchall()}

    def _load_versions(self, case_ids: Collection[str]) -> None:
        """Each case's current version into ``self._versions``, for the cases this
        transaction has not seen yet: one query, one row (a JSON object). A
        scalar ``max`` per case reads one index entry; ``GROUP BY`` would read all."""
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
    digests: list[str] = field(default_factory=list)
    records: dict[int, RecordedEvent] = field(default_factory=dict)
    duplicate_of: dict[int, int] = field(default_factory=dict)
    first_index: dict[str, int] = field(default_factory=dict)
    new_cases: set[str] = field(default_factory=set)
    created: set[int] = field(default_factory=set)

    def classify(self, i: int, sub: Submission, stored: tuple[str, bytes] | None) -> None:
        digest = sub.digest()
        self.digests.append(digest)
        first = self.first_index.setdefault(sub.event_id, i)
        if first != i:
            if self.digests[first] != digest:
                raise IdempotencyConflict(sub.event_id)
            self.duplicate_of[i] = first
        elif stored is not None:
            if stored[0] != digest:
                raise IdempotencyConflict(sub.event_id)
            self.records[i] = decode(stored[1])
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
