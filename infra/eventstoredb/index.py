"""``PositionIndex``: the gapless global position, as the rank of an event in ``$all``.

EventStoreDB's commit positions order ``$all`` but leave gaps (they are byte
offsets, and other streams interleave). Our ``position`` is instead the rank of
a case event among *case events* in ``$all`` order: 1, 2, 3... ``$all`` is an
append-only total order and reads only ever see a committed prefix of it, so a
rank, once seen, never changes, and every process that scans ``$all`` derives
the same ranks without coordinating. Pure data structure: the store feeds it.

Costs: built by one filtered scan of ``$all`` at start, then kept up to date
incrementally; memory is one key and one event id per event (roughly 150 bytes;
~150 MB per million events). Case streams must never be deleted, truncated
(``$maxCount``/``$maxAge``) or scavenged away: that would renumber positions.
"""

import bisect
from datetime import datetime

from infra.eventstoredb.codec import Key


class PositionIndex:
    def __init__(self) -> None:
        self._keys: list[Key] = []
        self._ranks: dict[str, int] = {}
        self.last_recorded_at: datetime | None = None

    @property
    def head(self) -> int:
        return len(self._keys)

    @property
    def last_key(self) -> Key | None:
        return self._keys[-1] if self._keys else None

    def add(self, key: Key, event_id: str, recorded_at: datetime) -> bool:
        """Record the next event of ``$all``; False (ignored) if already indexed."""
        if self._keys and key <= self._keys[-1]:
            return False
        self._keys.append(key)
        self._ranks.setdefault(event_id, len(self._keys))
        self.last_recorded_at = recorded_at
        return True

    def rank_of_event(self, event_id: str) -> int | None:
        return self._ranks.get(event_id)

    def key_at(self, position: int) -> Key:
        return self._keys[position - 1]

    def rank_of_key(self, key: Key) -> int | None:
        i = bisect.bisect_left(self._keys, key)
        return i + 1 if i < len(self._keys) and self._keys[i] == key else None

    def commit_before(self, position: int) -> tuple[int | None, int]:
        """Where to read or subscribe from to reach ``position``: a commit position
        strictly before its transaction (None: the start of ``$all``), and how many
        indexed events at most come before it in such a read.

        Events of one append may share a commit position, and the server's
        from-position semantics differ between reads (inclusive) and
        subscriptions (exclusive); starting one transaction early makes both
        safe. The caller drops events whose key sorts before ``position``'s.
        """
        if position < 1 or self.head == 0:
            return None, 0
        position = min(position, self.head)
        i = bisect.bisect_left(self._keys, (self._keys[position - 1][0], -1))
        if i == 0:
            return None, position - 1
        previous = self._keys[i - 1][0]
        j = bisect.bisect_left(self._keys, (previous, -1))
        return previous, position - 1 - j
