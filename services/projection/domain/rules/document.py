"""The rules as a table a safeguarding lead can check (``docs/rules.md`` is generated from it)."""

from services.projection.domain.policy import RulePolicy
from services.projection.domain.rules import RULES, default_policy
from services.projection.domain.rules.sharing import SHARING_POLICY


def rules_markdown(policy: RulePolicy | None = None) -> str:
    """Every rule with its terms in ``policy`` (the national defaults if none)."""
    terms = (policy or default_policy()).terms
    lines = [
        "# Safeguard rules",
        "",
        "Generated from `services/projection/domain/rules/` by `rules_markdown()`; "
        "do not edit by hand.",
        "",
        "| rule | what is required | deadline | severity | concerns | source |",
        "|---|---|---|---|---|---|",
    ]
    for rule_id, rule in RULES.items():
        t = terms[rule_id]
        deadline = (
            t.deadline.text
            if t.deadline
            else "per event type"
            if t.deadlines_by_type
            else ("at once")
        )
        state = (
            ""
            if t.enabled
            else " (off by default)"
            if not rule.enabled_by_default and t.enabled == rule.enabled_by_default
            else " (disabled)"
        )
        lines.append(
            f"| `{rule_id}`{state} | {rule.description} | {deadline} | {t.severity} | "
            f"{', '.join(rule.concerns_agencies)} | {rule.source} |"
        )
    off = [rule_id for rule_id, rule in RULES.items() if not rule.enabled_by_default]
    if off:
        lines += [
            "",
            "Rules marked *off by default* are stricter readings an area opts into with "
            "`rules.overrides.<rule>.enabled: true`: "
            + ", ".join(f"`{rule_id}`" for rule_id in off)
            + ". An override that does not say `enabled` leaves a rule as its default has it.",
        ]
    lines += [
        "",
        "## Sharing policy (`not-shared`)",
        "",
        "| event | when | must reach | within | source |",
        "|---|---|---|---|---|",
    ]
    sharing = terms["not-shared"]
    for duty in SHARING_POLICY:
        within = sharing.deadline_for(duty.event_type)
        lines.append(
            f"| `{duty.event_type}` | {duty.condition} | {' and '.join(duty.to)} | "
            f"{within.text if within else duty.deadline} | {duty.source} |"
        )
    return "\n".join(lines) + "\n"
