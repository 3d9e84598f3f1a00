"""A rebuild reads the store a page at a time: folding page by page must give the
same picture as folding everything at once, whatever the pages hold."""

import gc
import random
import weakref

import pytest

from services.projection.domain.evaluate import evaluate
from services.projection.domain.fold import collector_paused, fold, fold_into, initial_state
from services.projection.domain.picture import picture
from services.projection.domain.rules import default_policy
from tests.support.scenario import CHILD_K_EVALUATE_AT, recorded_events

POLICY = default_policy()


def _pages(events: list, size: int) -> list[list]:  # type: ignore[type-arg]
    return [events[i : i + size] for i in range(0, len(events), size)]


@pytest.mark.parametrize("page_size", [1, 3, 7, 100])
@pytest.mark.parametrize("shuffle_pages", [False, True])
def test_child_k_folded_page_by_page_equals_folded_at_once(
    page_size: int, shuffle_pages: bool
) -> None:
    events = recorded_events("child-k")
    pages = _pages(events, page_size)
    if shuffle_pages:
        random.Random(page_size).shuffle(pages)
    state = initial_state("child-k", POLICY)
    for page in pages:
        state = fold_into(state, [*page, *page[:1]])  # a page may repeat an event
    whole = fold(events, POLICY)
    at = CHILD_K_EVALUATE_AT
    assert picture(state, at) == picture(whole, at)
    assert evaluate(state, at) == evaluate(whole, at)


def test_fold_into_refuses_an_event_of_another_case() -> None:
    events = recorded_events("child-k")
    state = fold(events[:3], POLICY)
    other = recorded_events("child-k-good-practice")[:1]
    with pytest.raises(ValueError, match="is for case"):
        fold_into(state, other)


def test_collector_paused_restores_the_collector_and_lets_cycles_be_freed() -> None:
    class Node:
        pass

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        alive = weakref.ref(a)
        del a, b
    assert gc.isenabled()
    gc.collect()
    assert alive() is None


def test_changed_findings_are_exactly_those_whose_status_differs_from_announced() -> None:
    from services.projection.domain.evaluate import changed_findings

    events = recorded_events("child-k")
    state = fold(events, POLICY)
    for at in (events[5].occurred_at, events[15].occurred_at, CHILD_K_EVALUATE_AT):
        everything = evaluate(state, at)
        for announced in (
            {},
            {f.finding_id: f.status for f in everything},
            {f.finding_id: "open" for f in everything},
        ):
            expected = [f for f in everything if announced.get(f.finding_id) != f.status]
            got = changed_findings(state, at, announced)
            assert sorted(got, key=lambda f: f.finding_id) == sorted(
                expected, key=lambda f: f.finding_id
            )
