"""The event-store port and its adapters."""

from infra.store.port import (
    AppendResult,
    ConcurrencyError,
    EventStore,
    IdempotencyConflict,
    StoreError,
    StoreUnavailable,
)

__all__ = [
    "AppendResult",
    "ConcurrencyError",
    "EventStore",
    "IdempotencyConflict",
    "StoreError",
    "StoreUnavailable",
]
