"""A rule is data a safeguarding lead can read, plus the small functions that apply it."""

from dataclasses import dataclass

from events.findings import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    """What a safeguarding lead checks: what is required, why, by when, of whom.

    ``default_deadline`` is ``None`` for instant violations (the finding is due
    the moment the triggering event occurred). ``concerns_agencies`` are the
    agencies that must act or hear; a finding may narrow them.
    """

    id: str
    description: str
    source: str
    default_deadline: str | None
    severity: Severity
    concerns_agencies: tuple[str, ...]
    deadlines_by_type: tuple[tuple[str, str], ...] = ()
    """Default deadline per triggering event type, where the rule has several."""
    enabled_by_default: bool = True
    """False for a stricter rule an area opts into (``rules.overrides.<id>.enabled``):
    one that would add findings to cases whose agencies followed the national default."""
