"""Per-area overrides of rule deadlines and severities (local timescales differ)."""

import re
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field


class RuleOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool | None = None
    """True or False to switch the rule on or off; unset keeps the rule's default
    (on, except for the stricter rules that ship off: see docs/rules.md)."""
    deadline: str | None = None
    """"1h", "24h", "30m" or "1 working day" / "3 working days"."""
    severity: str | None = None
    deadlines: dict[str, str] = Field(default_factory=dict)
    """For ``not-shared``: deadline per event type, e.g. {"concern.observed": "2h"}."""


class RuleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area: str = "England (default timescales)"
    timezone: str = "Europe/London"
    holiday_subdivision: str = "ENG"
    """England and Wales share bank holidays except for Wales' own; ENG or WLS."""
    overrides: dict[str, RuleOverride] = Field(default_factory=dict)


_ELAPSED = re.compile(r"^\s*(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?)\s*$", re.I)
_WORKING = re.compile(r"^\s*(\d+)\s*working\s+days?\s*$", re.I)
_UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def longest_span(deadline: str) -> timedelta | None:
    """The most real time a rule deadline can run after its trigger occurred, in
    the grammar of ``services.projection.domain.calendar`` (which owns it and
    rejects anything else at start-up; None here for what it would reject).

    Working days are counted generously, with no calendar: two days for each,
    plus ten for the day the clock starts, a run of bank holidays and the time
    zone. No UK calendar needs as much."""
    if m := _WORKING.match(deadline):
        return timedelta(days=2 * int(m[1]) + 10)
    if m := _ELAPSED.match(deadline):
        return int(m[1]) * _UNIT[m[2][0].lower()]
    return None


def override_spans(rules: RuleSettings) -> list[tuple[str, timedelta]]:
    """(``rules.overrides.<id>...`` path, longest span) for every deadline override."""
    spans = []
    for rule_id, override in rules.overrides.items():
        texts = {"deadline": override.deadline} if override.deadline else {}
        texts |= {f"deadlines.{k}": v for k, v in override.deadlines.items()}
        for where, text in texts.items():
            span = longest_span(text)
            if span is not None:
                spans.append((f"rules.overrides.{rule_id}.{where}", span))
    return spans
