"""One object for equal values, where millions of records would otherwise each
keep their own copy of a handful of distinct ones (the actors of a store's
events, the children of a case's obligations). Bounded: the table empties itself
when full, so it holds recent values only and never grows with the store."""

from collections.abc import Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Sharing:
    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._table: dict[Hashable, Any] = {}

    def one(self, key: Hashable, value: T) -> T:
        """The value first shared under ``key`` (equal keys, equal values), or
        ``value`` itself: when it is the first, or ``key`` cannot be hashed."""
        try:
            found: T | None = self._table.get(key)
        except TypeError:
            return value
        if found is None:
            if len(self._table) >= self._capacity:
                self._table.clear()
            self._table[key] = found = value
        return found
