"""The projection's persistent read model, as a port.

What survives a restart: each case's snapshot (the summary ``/cases`` lists, its
findings with the status last announced, its next deadline) and the checkpoint
the snapshots were taken at, all written in one transaction
(``ReadModel.write``). A restart reads the checkpoint and the soonest deadline;
a case is folded again from its own events only when it is next touched (an
event, a deadline, a read), so a restart never refolds the history. The folded
state itself is not kept: measured, writing it cost more than refolding saves
(see ``infra/sqlite/readmodel``).

A Kafka-fed projection also keeps each case's events (``keep_events``): it
cannot re-read the store, and a snapshot is written only about once a second.
"""

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

from events.findings import Finding
from events.records import RecordedEvent
from services.projection.domain.policy import RulePolicy

PAGE_LIMIT_MAX = 1000

FindingStatusFilter = Literal["open", "met_late", "resolved"]

Partitions = frozenset[int] | None
"""The feed partitions whose cases a query covers; None: every case (one consumer)."""


@dataclass(frozen=True, slots=True)
class CaseSnapshot:
    """One case as the read model keeps it: the summary ``/cases`` lists, its
    findings and its next deadline. Not its state: a snapshot outlives the write
    only until the batch ends, and a case evicted meanwhile should go with it."""

    case_id: str
    position: int
    """The position of the last event folded in (0: none, or degraded)."""
    events: int
    children: tuple[str, ...]
    last_occurred_at: datetime | None
    open_findings: int | None
    degraded: Mapping[str, Any] | None
    next_due: datetime | None
    """Written only with ``owns_deadline``: live, the deadline row is the timer's
    (a snapshot taken after a deadline passed must not clear it before it fires)."""
    findings: Sequence[Finding] = ()
    """Findings of the case whose rows are refreshed with the snapshot."""
    vanished: Sequence[str] | None = None
    """Findings the case no longer has; None: ``findings`` is every finding, the
    others are gone."""
    owns_deadline: bool = False


@dataclass(frozen=True, slots=True)
class LoadedCase:
    """A case read back: the status last announced for each of its findings and,
    fed from Kafka, its kept events to refold. No folded state is kept: a case
    folds from its events faster than a pickle of its state loads."""

    case_id: str
    announced: dict[str, str]
    later: list[RecordedEvent] = field(default_factory=list)
    """Its events to fold: kept from Kafka, or read again from the store."""
    degraded: Mapping[str, Any] | None = None
    stored: bool = False
    """The model has a row with events for it: a store-fed projection refolds
    them from the store."""


@dataclass(frozen=True, slots=True)
class SubjectSeen:
    """One distinct subject of a case, as far as linking reads it, and the first
    event that named it (its times bound a replay as of a moment)."""

    case_id: str
    subject: Mapping[str, str]
    occurred_at: datetime
    recorded_at: datetime
    position: int


@dataclass(slots=True)
class LinkInputs:
    """What the linker was fed, without the events: cases in the order first seen,
    each case's distinct subjects, and the linking events (``case.linked``,
    ``link.confirmed`` ...). Its size grows with cases and identifiers, not events."""

    cases: list[tuple[str, int]] = field(default_factory=list)
    subjects: list[SubjectSeen] = field(default_factory=list)
    decisions: list[RecordedEvent] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.cases or self.subjects or self.decisions)

    def add(self, other: "LinkInputs") -> None:
        self.cases += other.cases
        self.subjects += other.subjects
        self.decisions += other.decisions


@dataclass(slots=True)
class ModelChange:
    """One transaction's worth: snapshots of cases changed since the last write,
    findings whose status was announced, cases whose next deadline moved, and the
    checkpoint (source, position) the snapshots were taken at."""

    snapshots: list[CaseSnapshot] = field(default_factory=list)
    announced: list[Finding] = field(default_factory=list)
    deadlines: dict[str, datetime | None] = field(default_factory=dict)
    checkpoint: tuple[str, int] | None = None
    retired: list[str] = field(default_factory=list)
    """Joint cases a link merged into another: their rows go (first, in the same
    transaction); their findings' announced statuses stay, for the joint case."""
    links: LinkInputs = field(default_factory=LinkInputs)
    """The linker's new inputs: written only with a checkpoint, so a restarted
    linker is never ahead of the events the feed delivers again."""
    count_open: bool = False
    """Count the open findings after the write: a scan of every open finding
    (730 ms at 320,000), so asked for rarely; announcements move the count between."""

    def __bool__(self) -> bool:
        return bool(
            self.snapshots
            or self.announced
            or self.deadlines
            or self.checkpoint
            or self.retired
            or self.links
        )


@dataclass(frozen=True, slots=True)
class Page:
    """Rows of a paginated query and the cursor of the next page (None: the last)."""

    rows: list[dict[str, Any]]
    next: str | None


class ReadModel(Protocol):
    """Every method is synchronous and may block: the service calls them in a
    worker thread, never on the event loop."""

    keep_events: bool
    rebuilt: bool
    """True when the file was of an older format or fingerprint and was reset:
    the caller must rebuild it (from the store, or from the kept events)."""

    def checkpoint(self, source: str) -> int:
        """The position every snapshot includes; 0 for a new or reset model."""
        ...

    def save_events(
        self, events: Sequence[RecordedEvent], partitions: Mapping[str, int] | None = None
    ) -> list[RecordedEvent]:
        """Keep the events (``keep_events`` only), each with its feed partition
        (by event id) when the feed is partitioned; the ones not kept before."""
        ...

    def load(self, case_ids: Iterable[str]) -> list[LoadedCase]:
        """Each case's snapshot plus any kept event it does not include yet."""
        ...

    def kept_events(self, case_ids: Sequence[str]) -> list[RecordedEvent]:
        """Every kept event of ``case_ids`` (``keep_events`` only): to fold a joint
        case afresh when a link changes it or it is loaded."""
        ...

    def link_inputs(self) -> LinkInputs:
        """Everything the linker was fed up to the checkpoint, to restore it at start."""
        ...

    def unflushed_cases(self, partitions: Partitions = None) -> list[str]:
        """Cases with kept events that no snapshot includes (a crash between writes)."""
        ...

    def partitions_of(self, case_ids: Sequence[str]) -> dict[str, int]:
        """The feed partition each case's kept events came from (unpartitioned: none)."""
        ...

    def write(self, change: ModelChange) -> dict[str, int] | None:
        """Apply ``change`` in one transaction; with ``count_open``, the open
        findings by severity after it."""
        ...

    def soonest_deadline(self, partitions: Partitions = None) -> datetime | None: ...

    def due(self, now: datetime, limit: int, partitions: Partitions = None) -> list[str]:
        """Cases whose next deadline is at or before ``now``, soonest first;
        only of cases on ``partitions`` when given (a member's own)."""
        ...

    def cases_page(
        self,
        *,
        limit: int,
        after: str | None,
        agency: str | None,
        open_filter: "OpenFilter",
        offset: int = 0,
    ) -> Page:
        """Cases by id; ``agency`` scopes to cases with a finding concerning it."""
        ...

    def open_findings_of(
        self, case_ids: Sequence[str], wanted: "OpenFilter"
    ) -> list[tuple[str, str, str]]:
        """(case, rule, severity) of the open findings of ``case_ids`` that match."""
        ...

    def findings_page(
        self,
        *,
        limit: int,
        after: str | None,
        agency: str | None,
        status: FindingStatusFilter | None,
    ) -> Page:
        """Findings by (due_at, finding_id), as last evaluated or announced."""
        ...

    def degraded_cases(self) -> list[dict[str, Any]]: ...

    def count_cases(self, open_filter: "OpenFilter") -> int: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class OpenFilter:
    """Only cases with an open finding of this rule / severity / concerning this
    agency (the console's filters); all empty: every case."""

    rule: str = ""
    severity: str = ""
    agency: str = ""

    def __bool__(self) -> bool:
        return bool(self.rule or self.severity or self.agency)


MODEL_VERSION = "2"
"""Bump when the tables change meaning."""


def fingerprint(policy: RulePolicy) -> str:
    """What a snapshot depends on: the fold's code, the event catalog and the rule
    terms. A model written under another fingerprint is rebuilt, not trusted."""
    digest = hashlib.sha256(MODEL_VERSION.encode())
    root = Path(__file__).resolve().parents[2]
    for folder in ("services/projection/domain", "events"):
        for source in sorted((root / folder).rglob("*.py")):
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    digest.update(repr(policy).encode())
    return digest.hexdigest()


def encode_cursor(*key: object) -> str:
    """Opaque to clients: the sort key of the last row of a page."""
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode()


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The key a cursor holds; ``ValueError`` if it is not one of ours."""
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError) as e:
        raise ValueError("not a cursor this service gave") from e
    if not isinstance(key, list) or len(key) != size or not all(isinstance(k, str) for k in key):
        raise ValueError("not a cursor this service gave")
    return key
