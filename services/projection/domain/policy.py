"""Rule settings as the fold uses them: defaults from the rule data, per-area overrides.

The domain reads overrides through small protocols rather than importing
``infra.config``: any object shaped like ``RuleSettings`` will do.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, cast

from events.findings import SEVERITY_ORDER, Severity
from services.projection.domain.calendar import (
    ENGLAND,
    Duration,
    WorkingCalendar,
    parse_duration,
)
from services.projection.domain.rule import Rule


class OverrideLike(Protocol):
    @property
    def enabled(self) -> bool | None: ...
    @property
    def deadline(self) -> str | None: ...
    @property
    def severity(self) -> str | None: ...
    @property
    def deadlines(self) -> Mapping[str, str]: ...


class SettingsLike(Protocol):
    @property
    def timezone(self) -> str: ...
    @property
    def holiday_subdivision(self) -> str: ...
    @property
    def overrides(self) -> Mapping[str, OverrideLike]: ...


@dataclass(frozen=True, slots=True)
class RuleTerms:
    """One rule's effective terms in one area."""

    rule: Rule
    enabled: bool
    deadline: Duration | None
    severity: Severity
    deadlines_by_type: Mapping[str, Duration] = field(default_factory=dict)

    def deadline_for(self, event_type: str) -> Duration | None:
        return self.deadlines_by_type.get(event_type, self.deadline)


@dataclass(frozen=True, slots=True)
class RulePolicy:
    """The terms of every rule plus the working-day calendar; built once per process."""

    terms: Mapping[str, RuleTerms]
    calendar: WorkingCalendar = ENGLAND

    def __getitem__(self, rule_id: str) -> RuleTerms:
        return self.terms[rule_id]

    def enabled(self, rule_id: str) -> bool:
        return self.terms[rule_id].enabled

    @classmethod
    def from_settings(cls, settings: SettingsLike, rules: Mapping[str, Rule]) -> "RulePolicy":
        """Apply ``infra.config.rules.RuleSettings``; a bad value fails here, at start-up."""
        calendar = WorkingCalendar(settings.timezone, settings.holiday_subdivision)
        return cls.build(rules, settings.overrides, calendar)

    @classmethod
    def build(
        cls,
        rules: Mapping[str, Rule],
        overrides: Mapping[str, OverrideLike] | None = None,
        calendar: WorkingCalendar = ENGLAND,
    ) -> "RulePolicy":
        """The terms of ``rules`` (the registry is passed in: the policy knows no rule)."""
        overrides = overrides or {}
        unknown = set(overrides) - set(rules)
        if unknown:
            raise ValueError(f"overrides name unknown rules: {sorted(unknown)}")
        terms = {rid: _terms(rule, overrides.get(rid)) for rid, rule in rules.items()}
        return cls(terms=terms, calendar=calendar)


def _terms(rule: Rule, override: OverrideLike | None) -> RuleTerms:
    """Override beats default; a rule-wide ``deadline`` override replaces per-type defaults.
    An override that does not say ``enabled`` leaves the rule as its default has it."""
    by_type = {t: parse_duration(d) for t, d in rule.deadlines_by_type}
    if override is None:
        default = rule.enabled_by_default
        return RuleTerms(rule, default, _maybe(rule.default_deadline), rule.severity, by_type)
    severity = override.severity or rule.severity
    if severity not in SEVERITY_ORDER:
        raise ValueError(f"{rule.id}: unknown severity {severity!r}")
    if override.deadline:
        by_type = {}
    by_type.update({t: parse_duration(d) for t, d in override.deadlines.items()})
    deadline = _maybe(override.deadline or rule.default_deadline)
    enabled = rule.enabled_by_default if override.enabled is None else override.enabled
    return RuleTerms(rule, enabled, deadline, cast(Severity, severity), by_type)


def _maybe(text: str | None) -> Duration | None:
    return None if text is None else parse_duration(text)
