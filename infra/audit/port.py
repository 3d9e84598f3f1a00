"""The access-audit port: an append-only record of every read of a case.

Reads are answered only after their audit record is durable, so a failing audit
fails the read (503) rather than letting an unrecorded disclosure through.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class AuditUnavailable(Exception):
    """The audit cannot be written or read; the read it guards must not be served."""


@dataclass(frozen=True, slots=True)
class ReadAccess:
    """One read, as the HTTP layer sees it (the audit adds the time and sequence)."""

    key_id: str
    name: str | None
    role: str
    agency: str | None
    endpoint: str
    """Method and route template, e.g. ``GET /cases/{case_id}/picture``."""
    case_id: str | None
    event_id: str | None
    client: str | None
    """The source address of the request (``cli`` for the ``safeguard`` command)."""
    case_ids: tuple[str, ...] = ()
    """Every case the answer disclosed (a list of alerts, cases or findings names
    many); ``case_id`` is set too where the read was of one case."""
    denied: int | None = None
    """401 or 403 where the request was refused: the attempt, not a disclosure."""


@dataclass(frozen=True, slots=True)
class AccessRecord:
    seq: int
    at: datetime
    access: ReadAccess
    chain_hash: str

    def to_json(self) -> dict[str, Any]:
        a = self.access
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "key_id": a.key_id,
            "name": a.name,
            "role": a.role,
            "agency": a.agency,
            "endpoint": a.endpoint,
            "case_id": a.case_id,
            "event_id": a.event_id,
            "client": a.client,
            "case_ids": list(a.case_ids),
            "denied": a.denied,
            "chain_hash": self.chain_hash,
        }


class AccessAudit(Protocol):
    async def record(self, access: ReadAccess) -> AccessRecord:
        """Append one read; returns once it is durable. Raises ``AuditUnavailable``."""
        ...

    async def query(
        self, *, case_id: str | None = None, after: int = 0, limit: int = 100
    ) -> list[AccessRecord]:
        """Records with ``seq > after`` (optionally those disclosing one case, by
        ``case_id`` or among ``case_ids``), oldest first."""
        ...

    async def close(self) -> None: ...
