"""Pure domain: the joint picture fold, the rules and their findings. No I/O.

Public API::

    policy = default_policy()            # or policy_from_settings(RuleSettings(...))
    state = fold(events, policy)             # one case, events in any order
    state = evolve(state, event)             # live: one more event (late ones refold)
    evaluate(state, at) -> list[Finding]     # findings as of ``at`` (``events.findings``)
    picture(state, at) -> dict               # the JSON joint picture as of ``at``
    next_deadline(state, after) -> datetime | None
    as_of(events, at, recorded_by=None)      # the events a replay folds
"""

from services.projection.domain.calendar import Duration, WorkingCalendar, add, parse_duration
from services.projection.domain.evaluate import evaluate, next_deadline
from services.projection.domain.fold import (
    as_of,
    collector_paused,
    evolve,
    fold,
    fold_cases,
    initial_state,
)
from services.projection.domain.picture import picture
from services.projection.domain.policy import RulePolicy
from services.projection.domain.rules import RULES, default_policy, policy_from_settings
from services.projection.domain.state import SAFEGUARD_TYPES, CaseState, Obligation

__all__ = [
    "RULES",
    "SAFEGUARD_TYPES",
    "CaseState",
    "Duration",
    "Obligation",
    "RulePolicy",
    "WorkingCalendar",
    "add",
    "as_of",
    "collector_paused",
    "default_policy",
    "evaluate",
    "evolve",
    "fold",
    "fold_cases",
    "initial_state",
    "next_deadline",
    "parse_duration",
    "picture",
    "policy_from_settings",
]
