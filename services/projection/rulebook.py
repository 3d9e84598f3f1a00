"""The rules as a safeguarding lead reads them: one Markdown page of every rule's
effective terms in this area, and the sharing policy line by line.

``docs/rules.md`` is this page for the default (England) timescales; a test keeps
it in step with the code, and ``safeguard rules --config FILE`` prints it for an
area's overrides.
"""

from services.projection.domain.policy import RulePolicy
from services.projection.domain.rules.sharing import SHARING_POLICY


def rulebook(policy: RulePolicy, area: str) -> str:
    lines = [
        "# Rules",
        "",
        f"Effective terms for: **{area}**. Deadlines in hours run in real time; "
        "working days skip weekends and England and Wales bank holidays (Europe/London).",
        "",
        "| rule | what is required | deadline | severity | concerns | source |",
        "|---|---|---|---|---|---|",
    ]
    for rule_id, terms in policy.terms.items():
        rule = terms.rule
        deadline = "at once" if terms.deadline is None else terms.deadline.text
        if terms.deadlines_by_type:
            deadline = "per event type (below)"
        status = "" if terms.enabled else " (disabled)"
        lines.append(
            f"| `{rule_id}`{status} | {_cell(rule.description)} | {deadline} | "
            f"{terms.severity} | {', '.join(rule.concerns_agencies)} | {_cell(rule.source)} |"
        )
    lines += [
        "",
        "## Sharing policy (`not-shared`)",
        "",
        "| event | must reach | within | when | source |",
        "|---|---|---|---|---|",
    ]
    sharing = policy["not-shared"]
    for duty in SHARING_POLICY:
        within = sharing.deadline_for(duty.event_type)
        lines.append(
            f"| `{duty.event_type}` | {', '.join(duty.to)} | "
            f"{within.text if within else duty.deadline} | {duty.condition} | "
            f"{_cell(duty.source)} |"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
