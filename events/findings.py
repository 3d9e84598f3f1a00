"""A finding: a required notification or safeguarding step that is overdue.

Its fields are a public contract (duty managers' systems and the notifier read
them). ``finding_id`` is derived from the rule and its triggers, so a rebuild or
a replay always names the same finding the same way. It lives with the event
contract because every service that meets a finding (the projection that raises
it, the notifier that pages about it, the console that shows it) reads this one
definition rather than reaching into another service.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

FindingStatus = Literal["open", "met_late", "resolved"]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def finding_id_for(
    rule: str, case_id: str, trigger_event_ids: tuple[str, ...], qualifier: str = ""
) -> str:
    """Deterministic id: same rule, case, triggers and qualifier give the same id.

    ``qualifier`` separates findings of one rule on the same triggers, such as
    ``not-shared`` to police and to edt, or a child left out.
    """
    key = "|".join((rule, case_id, ",".join(sorted(trigger_event_ids)), qualifier))
    return "fnd_" + hashlib.sha256(key.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Finding:
    finding_id: str
    rule: str
    case_id: str
    status: FindingStatus
    children: tuple[str, ...]
    trigger_event_ids: tuple[str, ...]
    due_at: datetime
    concerns_agencies: tuple[str, ...]
    severity: Severity
    explanation: str
    to_agency: str | None = None
    met_at: datetime | None = None
    """When the obligation was met, if late (``met_late``)."""
    met_by_event_id: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution_reason: str | None = None
    historical: bool = False
    """Every trigger came from a bulk import of historical events: page nobody."""

    def to_json(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "rule": self.rule,
            "case_id": self.case_id,
            "status": self.status,
            "children": list(self.children),
            "trigger_event_ids": list(self.trigger_event_ids),
            "to_agency": self.to_agency,
            "due_at": _iso(self.due_at),
            "concerns_agencies": list(self.concerns_agencies),
            "severity": self.severity,
            "explanation": self.explanation,
            "met_at": _iso(self.met_at),
            "met_by_event_id": self.met_by_event_id,
            "resolved_at": _iso(self.resolved_at),
            "resolved_by": self.resolved_by,
            "resolution_reason": self.resolution_reason,
            "historical": self.historical,
        }


def concerns(finding: Mapping[str, Any], agency: str) -> bool:
    """Whether a finding, in its JSON form (as alerts carry it), concerns ``agency``:
    the agency is one that must act or hear (``concerns_agencies``), or the one a
    notification is owed to (``to_agency``). The one definition duty managers are
    scoped by, for findings and for the alerts about them."""
    return agency == finding.get("to_agency") or agency in finding.get("concerns_agencies", ())


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
