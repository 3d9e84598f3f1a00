"""Every rule, one module per family, and the dispatch table the fold uses.

Order of handlers within an event type matters only where one reads what another
records: agreements are recorded before the rules that name their children.

This registry is what a ``RulePolicy`` is built over: ``default_policy`` and
``policy_from_settings`` pass it in, so the policy never imports the rules.
"""

from collections.abc import Callable, Mapping

from events.records import RecordedEvent
from services.projection.domain.policy import RulePolicy, SettingsLike
from services.projection.domain.rule import Rule
from services.projection.domain.rules import (
    agreements,
    examination,
    household,
    legal,
    medical,
    protection,
    requests,
    review,
    sharing,
    strategy,
)
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.wording import Wording

Handler = Callable[[CaseState, RecordedEvent], None]
Explainer = Callable[[Obligation, CaseState], Wording]

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        *sharing.RULES,
        *strategy.RULES,
        *review.RULES,
        *agreements.RULES,
        *legal.RULES,
        *medical.RULES,
        *requests.RULES,
        *protection.RULES,
        *examination.RULES,
        *household.RULES,
    )
}

EXPLAIN: dict[str, Explainer] = {
    **sharing.EXPLAIN,
    **strategy.EXPLAIN,
    **review.EXPLAIN,
    **agreements.EXPLAIN,
    **legal.EXPLAIN,
    **medical.EXPLAIN,
    **requests.EXPLAIN,
    **protection.EXPLAIN,
    **examination.EXPLAIN,
    **household.EXPLAIN,
}


def _merge(*tables: Mapping[str, Handler | tuple[Handler, ...]]) -> dict[str, tuple[Handler, ...]]:
    merged: dict[str, tuple[Handler, ...]] = {}
    for table in tables:
        for event_type, handlers in table.items():
            more = handlers if isinstance(handlers, tuple) else (handlers,)
            merged[event_type] = merged.get(event_type, ()) + more
    return merged


RULE_HANDLERS: dict[str, tuple[Handler, ...]] = _merge(
    agreements.HANDLERS,
    legal.HANDLERS,
    sharing.HANDLERS,
    review.HANDLERS,
    strategy.HANDLERS,
    medical.HANDLERS,
    requests.HANDLERS,
    protection.HANDLERS,
    examination.HANDLERS,
    household.HANDLERS,
)
"""event type -> the rule functions to run for it, in order."""


def default_policy() -> RulePolicy:
    """Every rule on its national default terms."""
    return RulePolicy.build(RULES)


def policy_from_settings(settings: SettingsLike) -> RulePolicy:
    """Every rule on the terms the settings give; a bad override fails at start-up."""
    return RulePolicy.from_settings(settings, RULES)
