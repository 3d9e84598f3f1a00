"""Plain-language titles for rule ids, shown beside the id wherever a person reads a
finding (the console, the review document). The id stays the contract; the title is
what a duty manager or a reviewer scans for."""

RULE_TITLES: dict[str, str] = {
    "not-shared": "Not passed on to another agency in time",
    "strategy-discussion-missing": "No strategy discussion held in time",
    "investigation-before-strategy-discussion": "Child interviewed before a strategy discussion",
    "strategy-discussion-incomplete": "Strategy discussion without police, social care and health",
    "child-not-considered": "A child in the household was left out",
    "review-discussion-due": "No review after a refusal, breach or release",
    "protective-adult-unconfirmed": "Protective adult has not confirmed their part",
    "placement-without-legal-basis": "Child placed away from home with no legal basis",
    "legal-status-conflict": "Agencies disagree on a child's legal status",
    "delayed-medical-attention": "Medical attention sought late after an injury",
    "request-declined": "A request from another agency was declined",
    "request-unanswered": "A request from another agency went unanswered",
    "protected-child-injury-not-shared": "Injury to a protected or non-mobile child not shared",
    "medical-examiner-not-informed": "Examining clinician not told before a protection medical",
    "child-not-seen-on-visit": "Child on a plan not seen at a home visit",
    "review-matter-not-discussed": "Review discussion did not name the matter",
    "household-member-unrecorded": "A household member missing from an agency's record",
}


def rule_title(rule_id: str) -> str:
    """The title, or the id itself for a rule added without one."""
    return RULE_TITLES.get(rule_id, rule_id)
