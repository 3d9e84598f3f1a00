"""The folded state of one case: plain dicts and slotted records, cheap to update.

``CaseState`` is what ``evolve`` builds. It keeps every event (for the
chronology and for a refold when one arrives out of order) and the derived
facts the rules need; findings are not stored but computed on demand from the
obligations (``evaluate``), because they depend on the evaluation time.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, cast

from events.findings import Severity, finding_id_for
from events.records import RecordedEvent

if TYPE_CHECKING:
    from services.projection.domain.policy import RulePolicy

SAFEGUARD_TYPES = frozenset(
    {"alert.sent", "alert.failed", "alert.acknowledged", "alert.escalated", "finding.resolved"}
)
"""Safeguard's own audit events: in the chronology, never a trigger, never shared."""

Since = dict[str, datetime]
"""agency -> when it came to know."""

Told = tuple[str | datetime, ...]
"""agency, since, agency, since, ...: the agencies told of one event and when, first
told first. A flat tuple rather than a ``Since`` dict: a case keeps one for every
event passed on, and a tuple of one or two agencies is a third of a dict's size."""

WaitKey = tuple[str, ...]
"""What an obligation waits for, e.g. ("know", event_id, agency) or ("discussion", child)."""


@dataclass(slots=True, eq=False)
class Obligation:
    """A required step raised by a rule: due by ``due_at``, met (or not) by an event.

    ``opened_at`` is the moment it came to exist (its trigger's occurred_at), so a
    replay as of an earlier moment does not see it.

    A rebuild keeps millions of these, so what the trigger already holds (its case,
    when it occurred, its id as the usual sole trigger) is read from it rather than
    stored again.
    """

    rule: str
    qualifier: str
    trigger: RecordedEvent
    named_triggers: tuple[str, ...] | None
    """The trigger event ids when the rule named them itself; None for the trigger alone."""
    children: tuple[str, ...]
    due_at: datetime
    severity: Severity
    concerns_agencies: tuple[str, ...]
    historical: bool
    to_agency: str | None = None
    detail: str = ""
    """Rule-specific words for the explanation, e.g. the agencies missing."""
    met_at: datetime | None = None
    met_by_event_id: str | None = None
    _finding_id: str | None = None

    @property
    def case_id(self) -> str:
        return self.trigger.case_id

    @property
    def opened_at(self) -> datetime:
        return self.trigger.occurred_at

    @property
    def trigger_event_ids(self) -> tuple[str, ...]:
        return self.named_triggers or (self.trigger.event_id,)

    @property
    def finding_id(self) -> str:
        """Derived on first use: hashing every obligation during a rebuild is wasted work."""
        if self._finding_id is None:
            ids = self.trigger_event_ids
            self._finding_id = finding_id_for(self.rule, self.case_id, ids, self.qualifier)
        return self._finding_id

    def met_by(self, at: datetime) -> bool:
        return self.met_at is not None and self.met_at <= at


@dataclass(slots=True)
class Agreement:
    """A written (working) agreement and what became of it."""

    agreement_id: str
    event_id: str
    made_at: datetime
    position: int
    agency: str
    children: tuple[str, ...]
    conditions: tuple[str, ...]
    signed_by: tuple[str, ...]
    protective_adults: dict[str, tuple[datetime, str] | None]
    """person -> (confirmed at, by event id), or None while unconfirmed."""
    refusals: list[tuple[str, str, datetime]] = field(default_factory=list)
    """(person, event id, at)."""
    breaches: list[tuple[str, datetime, str]] = field(default_factory=list)
    """(event id, at, summary)."""


@dataclass(slots=True)
class CaseState:
    """Everything the fold knows about one case, as of its last applied event."""

    case_id: str
    policy: "RulePolicy"
    members: frozenset[str] = frozenset()
    """The other agencies' cases joined to this one (``domain.identity``): their
    events fold in here too, each keeping its own ``case_id``."""
    events: list[RecordedEvent] = field(default_factory=list)
    """Applied events in (occurred_at, position) order."""
    by_id: dict[str, RecordedEvent] = field(default_factory=dict)
    children: dict[str, Since] = field(default_factory=dict)
    adults: dict[str, Since] = field(default_factory=dict)
    knowledge: dict[str, Told] = field(default_factory=dict)
    """event_id -> the agencies told of it, since when. The author is implicit (see
    ``known_by``): an entry per event would cost a rebuild dearly."""
    legal: dict[str, dict[str, list[tuple[datetime, str, str]]]] = field(default_factory=dict)
    """child -> agency -> history of (at, basis, event_id), oldest first."""
    agreements: dict[str, Agreement] = field(default_factory=dict)
    """agreement_id -> the latest agreement made under that id (later events attach to it)."""
    agreements_made: list[Agreement] = field(default_factory=list)
    """Every agreement.made, in order, including ones later remade under the same id."""
    obligations: list[Obligation] = field(default_factory=list)
    waiting: dict[WaitKey, Obligation | list[Obligation]] = field(default_factory=dict)
    """What each open obligation waits for: most keys have one, held without a list."""
    open_conflicts: dict[str, Obligation] = field(default_factory=dict)
    """child -> the legal-status conflict still open for them."""
    harm_children: dict[str, str] = field(default_factory=dict)
    """child -> first event suspecting significant harm to them (a discussion is due)."""
    discussed_children: set[str] = field(default_factory=set)
    suspects: dict[str, list[str]] = field(default_factory=dict)
    """adult -> children, for alleged perpetrators and people arrested in the case."""
    requests: dict[str, RecordedEvent] = field(default_factory=dict)
    plans: dict[str, dict[str, str]] = field(default_factory=dict)
    """child -> plan kind (child_protection, child_in_need...) -> the event that started it,
    for plans in force (plan.started, or a conference's decision; ended by plan.ended)."""
    referred: dict[str, str] = field(default_factory=dict)
    """child -> first event making them the subject of child protection enquiries (a
    strategy discussion under s47, a conference), besides ``harm_children``."""
    unit_knowledge: dict[str, Since] = field(default_factory=dict)
    """event_id -> "agency/unit" -> since, for what was passed to a named unit of an
    agency (``information.shared.to_unit``); "agency/*" marks agency-wide learning of
    an event that some unit was also told of. Kept only for such events."""
    households: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    """agency -> (its latest household.recorded, the adults it lists)."""
    household_known: dict[str, dict[str, str]] = field(default_factory=dict)
    """agency -> person -> first event in which it recorded them as a household member."""
    resolutions: dict[str, RecordedEvent] = field(default_factory=dict)
    """finding_id -> the first finding.resolved event naming it."""

    def holds(self, event: RecordedEvent) -> bool:
        """Whether ``event`` is of this case or of a case joined to it."""
        return event.case_id == self.case_id or event.case_id in self.members

    @property
    def last(self) -> RecordedEvent | None:
        return self.events[-1] if self.events else None

    @property
    def last_key(self) -> tuple[datetime, int] | None:
        """``order_key`` of the last applied event."""
        return order_key(self.events[-1]) if self.events else None

    def known_by(self, event: RecordedEvent) -> Since:
        """Every agency that knows ``event``, since when: its author, then those told."""
        if event.type in SAFEGUARD_TYPES:
            return {}
        known = {event.agency: event.occurred_at}
        told = self.knowledge.get(event.event_id, ())
        for agency, since in zip(told[::2], told[1::2], strict=True):
            known[cast(str, agency)] = cast(datetime, since)
        return known

    def knows(self, event: RecordedEvent, agency: str) -> bool:
        """An agency never equals a time, so it can be looked for in a whole ``Told``."""
        return event.agency == agency or agency in self.knowledge.get(event.event_id, ())

    def agreement_at(self, agreement_id: str, event: RecordedEvent) -> Agreement | None:
        """The agreement ``agreement_id`` as it stood when ``event`` occurred."""
        key = order_key(event)
        for agreement in reversed(self.agreements_made):
            if agreement.agreement_id == agreement_id and (
                (agreement.made_at, agreement.position) <= key
            ):
                return agreement
        return None

    def needs_refold(self, event: RecordedEvent) -> bool:
        """True when ``event`` occurred before something already applied."""
        last = self.last
        return last is not None and order_key(event) < order_key(last)


def order_key(event: RecordedEvent) -> tuple[datetime, int]:
    """Chronological order: when it happened, then the order it was recorded in."""
    return (event.occurred_at, event.position)
