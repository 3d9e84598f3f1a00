from infra.config import Settings
from infra.config.rules import RuleOverride, RuleSettings
from services.projection.domain.policy import RulePolicy
from services.projection.domain.rules import RULES
from services.projection.rulebook import rulebook
from tests.support.server import REPO


def test_docs_rules_page_matches_the_default_rules() -> None:
    expected = rulebook(RulePolicy.default(), Settings().rules.area)
    assert (REPO / "docs" / "rules.md").read_text() == expected, "run: safeguard rules"


def test_rulebook_lists_every_rule_and_shows_an_areas_overrides() -> None:
    settings = RuleSettings(
        area="Anyshire",
        overrides={
            "strategy-discussion-missing": RuleOverride(deadline="1 working day"),
            "not-shared": RuleOverride(deadlines={"concern.observed": "2h"}),
        },
    )
    page = rulebook(RulePolicy.from_settings(settings), settings.area)
    assert all(f"`{rule_id}`" in page for rule_id in RULES)
    assert "**Anyshire**" in page
    assert "| 1 working day |" in page
    assert "| `concern.observed` | edt | 2h |" in page
