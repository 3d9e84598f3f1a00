"""Rules as data a safeguarding lead can check, and per-area overrides of their terms."""

import ast
from pathlib import Path

import pytest

from events.agencies import ALL_AGENCIES
from events.findings import SEVERITY_ORDER
from infra.config.rules import RuleOverride, RuleSettings
from services.projection.domain import RULES, RulePolicy
from services.projection.domain import policy as policy_module
from services.projection.domain.rules import policy_from_settings
from tests.support.picture import Story, when

FIXED_IDS = {
    "not-shared",
    "strategy-discussion-missing",
    "investigation-before-strategy-discussion",
    "strategy-discussion-incomplete",
    "child-not-considered",
    "protective-adult-unconfirmed",
    "review-discussion-due",
    "placement-without-legal-basis",
    "legal-status-conflict",
    "delayed-medical-attention",
    "request-declined",
    "request-unanswered",
    "protected-child-injury-not-shared",
    "medical-examiner-not-informed",
    "child-not-seen-on-visit",
    "review-matter-not-discussed",
    "household-member-unrecorded",
}


def test_every_public_rule_id_is_implemented():
    assert set(RULES) == FIXED_IDS


@pytest.mark.parametrize("rule_id", sorted(FIXED_IDS))
def test_every_rule_says_what_why_how_soon_and_who(rule_id):
    rule = RULES[rule_id]
    assert len(rule.description) > 40 and rule.description.endswith(".")
    sources = ("SCR Child K", "Children Act", "WT", "Peter Connelly", "Logan Mwangi")
    assert any(source in rule.source for source in sources)
    assert rule.severity in SEVERITY_ORDER
    assert set(rule.concerns_agencies) <= set(ALL_AGENCIES)


def _policy(**overrides: RuleOverride) -> RulePolicy:
    return policy_from_settings(RuleSettings(overrides=overrides))


def test_area_can_give_concerns_a_two_hour_sharing_deadline():
    story = Story(
        policy=_policy(**{"not-shared": RuleOverride(deadlines={"concern.observed": "2h"})})
    )
    story.add("concern.observed", "police", at="31 Dec 08:00")
    [finding] = story.findings("31 Dec 10:00", "not-shared")
    assert finding.due_at == when("31 Dec 10:00")


def test_area_wide_sharing_deadline_replaces_every_default_but_per_type_still_wins():
    story = Story(
        policy=_policy(
            **{"not-shared": RuleOverride(deadline="30m", deadlines={"disclosure.made": "15m"})}
        )
    )
    story.add("concern.observed", "police", at="31 Dec 08:00")
    story.add("disclosure.made", "police", at="31 Dec 08:00")
    due = sorted(f.due_at for f in story.findings("31 Dec 09:00", "not-shared"))
    assert due == [when("31 Dec 08:15"), when("31 Dec 08:30")]


def test_strategy_discussion_deadline_in_working_days_skips_the_bank_holiday():
    story = Story(
        policy=_policy(**{"strategy-discussion-missing": RuleOverride(deadline="1 working day")})
    )
    story.add("disclosure.made", "police", at="31 Dec 08:00", child="sibling")
    assert story.findings("3 Jan 23:59", "strategy-discussion-missing") == []
    [finding] = story.findings("4 Jan 00:00", "strategy-discussion-missing")
    assert finding.due_at == when("4 Jan 00:00")


def test_disabled_rule_raises_nothing():
    story = Story(policy=_policy(**{"strategy-discussion-incomplete": RuleOverride(enabled=False)}))
    story.add("strategy_discussion.held", "edt", at="31 Dec 10:00")
    assert story.findings("1 Jan 10:00", "strategy-discussion-incomplete") == []


def test_area_can_raise_a_rules_severity():
    story = Story(policy=_policy(**{"request-declined": RuleOverride(severity="high")}))
    story.add("request.made", "police", at="31 Dec 12:00", to_agency="edt", about=[])
    story.add("request.responded", "edt", at="31 Dec 12:10", outcome="declined")
    [finding] = story.findings("31 Dec 13:00", "request-declined")
    assert finding.severity == "high"


def test_override_of_an_unknown_rule_fails_at_start_up():
    with pytest.raises(ValueError, match="unknown rules"):
        _policy(**{"not-a-rule": RuleOverride()})


def test_unparseable_deadline_fails_at_start_up():
    with pytest.raises(ValueError, match="not a duration"):
        _policy(**{"not-shared": RuleOverride(deadline="soonish")})


def test_unknown_severity_fails_at_start_up():
    with pytest.raises(ValueError, match="severity"):
        _policy(**{"not-shared": RuleOverride(severity="urgent")})


def test_rules_document_is_generated_from_the_rules():
    """Regenerate with ``rules_markdown()`` when a rule changes."""
    from pathlib import Path

    from services.projection.domain.rules.document import rules_markdown

    path = Path(__file__).resolve().parents[2] / "docs/rules.md"
    assert path.read_text() == rules_markdown()


def test_policy_holds_the_terms_of_the_registry_it_is_given():
    only_sharing = {"not-shared": RULES["not-shared"]}
    policy = RulePolicy.build(only_sharing)
    assert set(policy.terms) == {"not-shared"}
    with pytest.raises(ValueError, match="unknown rules"):
        RulePolicy.build(only_sharing, {"request-declined": RuleOverride(enabled=False)})


def test_policy_module_never_imports_the_rule_registry_back():
    """The registry depends on the policy, never the other way: no import loop."""
    path = Path(policy_module.__file__ or "")
    imported = {
        node.module or ""
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {m for m in imported if m.startswith("services.projection.domain.rules")}


def test_a_rule_that_ships_disabled_stays_off_until_an_area_enables_it():
    stricter = "review-matter-not-discussed"
    assert RULES[stricter].enabled_by_default is False
    assert not _policy().enabled(stricter)
    assert not _policy(**{stricter: RuleOverride(deadline="2h")}).enabled(stricter)
    assert _policy(**{stricter: RuleOverride(enabled=True)}).enabled(stricter)


def test_an_override_that_does_not_say_enabled_leaves_a_default_rule_on():
    assert _policy(**{"not-shared": RuleOverride(severity="critical")}).enabled("not-shared")
    assert not _policy(**{"not-shared": RuleOverride(enabled=False)}).enabled("not-shared")
