"""The log's two indexes, by event id and by case, merged in bulk.

The ``events`` table is a log: a commit appends its rows at the end of one
b-tree. Finding an event by id, or a case's stream by version, goes through two
index tables (``event_ids``, ``case_streams``) that the writer fills in bulk:
once the tail of unmerged events is ``MERGE_AT`` long, or when it has been idle
for ``IDLE_MERGE_SECONDS``. Sorted inserts of thousands of rows touch each index
page about once, where an index kept by every commit touched one random page per
event (event ids are random UUIDs), and the WAL rewrote each of those pages.

Until merged, the tail (every event after ``merged.upto``) is found by scanning
the log from there: readers do so in SQL, the writer keeps a copy in memory
(``Tail``) so that a commit reads nothing it wrote itself. A merge and the
``upto`` it moves are one transaction, so a crash leaves a longer tail, never a
gap.
"""

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from infra.sqlite.schema import rollback

log = logging.getLogger("safeguard.store")

MERGE_AT = 20_000
"""Unmerged events that make the writer merge after its next commit: more makes
each merge cheaper per event, and each reader's scan of the tail longer."""
IDLE_MERGE_SECONDS = 0.5
"""A writer with nothing to write for this long merges whatever tail there is,
so under ordinary load the tail readers scan stays short."""

GET_BODY = """
SELECT body FROM events
 WHERE position = (SELECT position FROM event_ids WHERE event_id = ?1)
UNION ALL
SELECT body FROM events
 WHERE position > (SELECT upto FROM merged) AND event_id = ?1
LIMIT 1
"""
READ_CASE = """
SELECT body FROM (
  SELECT c.stream_version AS version, e.body AS body
    FROM case_streams AS c JOIN events AS e ON e.position = c.position
   WHERE c.case_id = ?1 AND c.stream_version >= ?2
  UNION ALL
  SELECT stream_version, body FROM events
   WHERE position > (SELECT upto FROM merged) AND case_id = ?1 AND stream_version >= ?2
) ORDER BY version
"""
"""One statement each, so the index tables and ``upto`` are read in one snapshot.
An event found in the index ends ``GET_BODY`` (``LIMIT 1``) before the tail scan."""

_POSITION, _EVENT_ID, _CASE_ID, _VERSION = (itemgetter(i) for i in range(4))

_MERGE = (
    "INSERT INTO event_ids (event_id, position)"
    " SELECT event_id, position FROM events WHERE position > :upto ORDER BY event_id",
    "INSERT INTO case_streams (case_id, stream_version, position)"
    " SELECT case_id, stream_version, position FROM events WHERE position > :upto"
    " ORDER BY case_id, stream_version",
    "UPDATE merged SET upto = :head",
)


@dataclass(slots=True)
class Tail:
    """The writer's copy of the unmerged events: valid while the store's ``upto``
    and head are what it last saw (another process writing the file, or a
    failed commit, makes it reload)."""

    upto: int = -1
    head: int = -1
    """-1: not loaded."""
    ids: dict[str, int] = field(default_factory=dict)
    """Event id to position."""
    versions: dict[str, int] = field(default_factory=dict)
    """Case id to its last version in the tail."""

    def refresh(self, conn: sqlite3.Connection, upto: int, head: int) -> None:
        """Load the tail from the log unless this copy is already of it."""
        if (upto, head) == (self.upto, self.head):
            return
        self.reset(upto)
        rows = conn.execute(
            "SELECT position, event_id, case_id, stream_version FROM events WHERE position > ?",
            (upto,),
        )
        self.extend(rows.fetchall())

    def extend(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows just committed, in position order, starting (position, id, case,
        version, ...): each case's last version is the one that stays."""
        if rows:  # map and zip: no Python-level loop on the writer thread
            self.ids.update(zip(map(_EVENT_ID, rows), map(_POSITION, rows), strict=True))
            self.versions.update(zip(map(_CASE_ID, rows), map(_VERSION, rows), strict=True))
            self.head = rows[-1][0]

    def reset(self, upto: int) -> None:
        """An empty tail after ``upto`` (-1: in doubt, reload it next time)."""
        self.upto = self.head = upto
        self.ids, self.versions = {}, {}

    def forget(self) -> None:
        """What this copy holds is in doubt (a commit failed): reload next time."""
        self.reset(-1)

    def merge_due(self, *, idle: bool) -> bool:
        return len(self.ids) >= MERGE_AT or (idle and bool(self.ids))

    def idle_timeout(self) -> float | None:
        """How long the writer may wait for work before merging: forever if
        there is nothing to merge."""
        return IDLE_MERGE_SECONDS if self.ids else None


def merge(conn: sqlite3.Connection, tail: Tail) -> None:
    """Move the tail into the index tables, in one transaction of its own. A
    failure is logged and the tail kept: appends go on, and readers still find
    every event by scanning the longer tail."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        upto, head = conn.execute(
            "SELECT upto, (SELECT coalesce(max(position), 0) FROM events) FROM merged"
        ).fetchone()
        for statement in _MERGE:
            conn.execute(statement, {"upto": upto, "head": head})
        conn.execute("COMMIT")
    except sqlite3.Error:
        log.exception("could not merge the event index; the tail stays in the log")
        rollback(conn)
        tail.forget()
        return
    tail.reset(head)
