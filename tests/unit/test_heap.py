"""The projection freezes its heap after each flush (``settle_heap``), which is
safe only while folding, evaluating and picturing a case leave no reference
cycles behind: each would be frozen and never freed."""

import gc

from services.projection.domain.evaluate import evaluate
from services.projection.domain.fold import fold
from services.projection.domain.picture import picture
from services.projection.domain.rules import default_policy
from tests.support.scenario import CHILD_K_EVALUATE_AT, recorded_events


def test_a_case_folded_evaluated_and_pictured_leaves_no_cycles() -> None:
    events, policy, at = recorded_events("child-k"), default_policy(), CHILD_K_EVALUATE_AT
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            state = fold(events, policy, case_id=events[0].case_id)
            evaluate(state, at)
            picture(state, at)
            del state
        assert gc.collect() == 0
    finally:
        gc.enable()
