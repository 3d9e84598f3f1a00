"""``SparseRanks``: the gapless global position, as the rank of an event in ``$all``.

EventStoreDB's commit positions order ``$all`` but leave gaps (they are byte
offsets, and other streams interleave). Our ``position`` is instead the rank of
a case event among *case events* in ``$all`` order: 1, 2, 3... ``$all`` is an
append-only total order and reads only ever see a committed prefix of it, so a
rank, once seen, never changes, and every process derives the same ranks.

Only every ``every``-th rank is kept for good (a *checkpoint*, also persisted by
the store in a stream so a restart reads checkpoints instead of scanning
``$all``), plus the ranks after the last checkpoint (the *tail*, fewer than
``every``) and a few recently used *windows* (the ranks between two
checkpoints, re-read from ``$all`` on demand). Memory is therefore bounded by
``head / every`` marks plus the window cache, not one entry per event. Pure data
structure: the store feeds it. Case streams must never be deleted, truncated or
scavenged: that would renumber positions and invalidate the checkpoints.
"""

import bisect
from collections import OrderedDict
from datetime import datetime
from typing import NamedTuple

from infra.eventstoredb.codec import Key

CHECKPOINT_EVERY = 1_024
CACHED_WINDOWS = 32


class Mark(NamedTuple):
    """One ranked event: its key, and where a read must start to see what follows it.

    ``before`` is a commit position strictly before this event's transaction
    (None: the start of ``$all``); a read from there returns at most ``reach``
    case events up to and including this one (events of one append may share a
    commit position, and reads are inclusive while subscriptions are not).
    A tuple, not a dataclass: a first start builds one per event.
    """

    key: Key
    before: int | None
    before_count: int
    txn: int

    @property
    def reach(self) -> int:
        return self.before_count + self.txn


def next_mark(previous: Mark | None, key: Key) -> Mark:
    """The mark of the case event that follows ``previous`` in ``$all``."""
    if previous is None:
        return Mark(key, None, 0, 1)
    if key[0] == previous.key[0]:
        return Mark(key, previous.before, previous.before_count, previous.txn + 1)
    return Mark(key, previous.key[0], previous.txn, 1)


class SparseRanks:
    def __init__(self, every: int = CHECKPOINT_EVERY, cached_windows: int = CACHED_WINDOWS) -> None:
        self.every, self._cached = every, cached_windows
        self.checkpoints: list[Mark] = []
        """``checkpoints[i]`` is the mark of rank ``(i + 1) * every``."""
        self._checkpoint_keys: list[Key] = []
        self._tail: list[Mark] = []
        self._windows: OrderedDict[int, list[Mark]] = OrderedDict()
        self.last_recorded_at: datetime | None = None

    @property
    def head(self) -> int:
        return len(self.checkpoints) * self.every + len(self._tail)

    @property
    def last(self) -> Mark | None:
        if self._tail:
            return self._tail[-1]
        return self.checkpoints[-1] if self.checkpoints else None

    def load(self, checkpoints: list[Mark]) -> None:
        """Start from persisted checkpoints (only while nothing is indexed)."""
        if self.head:
            raise ValueError("checkpoints are loaded before indexing")
        self.checkpoints = list(checkpoints)
        self._checkpoint_keys = [m.key for m in checkpoints]

    def add(self, key: Key) -> bool:
        """Index the next case event of ``$all``; False (ignored) if already indexed."""
        last = self.last
        if last is not None and key <= last.key:
            return False
        self._tail.append(next_mark(last, key))
        if len(self._tail) == self.every:
            self.remember(len(self.checkpoints), self._tail)
            self.checkpoints.append(self._tail[-1])
            self._checkpoint_keys.append(self._tail[-1].key)
            self._tail = []
        return True

    def window_of_rank(self, rank: int) -> int:
        return (rank - 1) // self.every

    def window_of_key(self, key: Key) -> int:
        """The window that holds ``key`` if it is indexed (the tail's if it is newer)."""
        return bisect.bisect_left(self._checkpoint_keys, key)

    def entry(self, window: int) -> Mark | None:
        """The mark just before ``window``'s first rank (None: the start of ``$all``)."""
        return self.checkpoints[window - 1] if window else None

    def window(self, window: int) -> list[Mark] | None:
        """The marks of ``window`` if held in memory (None: the store must read them)."""
        if window == len(self.checkpoints):
            return self._tail
        marks = self._windows.get(window)
        if marks is not None:
            self._windows.move_to_end(window)
        return marks

    def remember(self, window: int, marks: list[Mark]) -> None:
        self._windows[window] = marks
        self._windows.move_to_end(window)
        while len(self._windows) > self._cached:
            self._windows.popitem(last=False)

    def rank_in(self, window: int, marks: list[Mark], key: Key) -> int | None:
        i = bisect.bisect_left(marks, key, key=lambda m: m.key)
        return window * self.every + i + 1 if i < len(marks) and marks[i].key == key else None
