"""Given the Child K scenarios, when the domain folds them, then the review's failures
(and only those) come back as findings; the good-practice version raises none."""

from services.projection.domain import evaluate, fold
from services.projection.domain.rules import default_policy
from tests.support.scenario import CHILD_K_EVALUATE_AT, CHILD_K_EXPECTED, ids, recorded_events


def _findings(name: str) -> set[tuple[object, ...]]:
    slug = {v: k for k, v in ids(name).items()}
    state = fold(recorded_events(name), default_policy())
    return {
        (
            f.rule,
            tuple(sorted(slug[t] for t in f.trigger_event_ids)),
            f.to_agency,
            f.due_at,
            f.status,
            slug.get(f.met_by_event_id or ""),
        )
        for f in evaluate(state, CHILD_K_EVALUATE_AT)
    }


def test_child_k_raises_exactly_the_findings_the_review_describes() -> None:
    expected = {(*x[:1], tuple(sorted(x.triggers)), *x[2:]) for x in CHILD_K_EXPECTED}
    assert _findings("child-k") == expected


def test_child_k_handled_as_procedures_expect_raises_no_finding() -> None:
    assert _findings("child-k-good-practice") == set()


def test_late_recorded_head_observation_is_invisible_to_a_replay_of_what_was_recorded() -> None:
    recorded_by_new_year = [e for e in recorded_events("child-k") if e.recorded_at.day == 31]
    state = fold(recorded_by_new_year, default_policy())
    late = ids("child-k")["ck-26-head-observed-late"]
    assert all(late not in f.trigger_event_ids for f in evaluate(state, CHILD_K_EVALUATE_AT))
