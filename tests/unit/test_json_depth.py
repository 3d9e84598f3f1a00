"""The JSON depth limit: a body nested exactly ``max_depth`` containers deep is
accepted, one level more is refused, whatever mix of objects and arrays."""

import pytest

from services.http.limits import _too_deep


def nested(levels: int, *, leaf: object = "x") -> object:
    value: object = leaf
    for level in range(levels):
        value = {"k": value, "s": "y"} if level % 2 else [1, value, "z"]
    return value


@pytest.mark.parametrize("max_depth", [1, 2, 5, 32])
def test_a_body_exactly_max_depth_deep_is_accepted_and_one_deeper_refused(max_depth: int) -> None:
    assert not _too_deep(nested(max_depth), max_depth)
    assert _too_deep(nested(max_depth + 1), max_depth)


def test_the_deepest_branch_counts_not_the_first() -> None:
    body = {"events": [{"a": 1}, {"b": [[{"c": []}]]}]}  # 7 levels on the second branch

    assert not _too_deep(body, 7)
    assert _too_deep(body, 6)


def test_scalars_and_empty_containers_are_shallow() -> None:
    assert not _too_deep("text", 1)
    assert not _too_deep({}, 1)
    assert _too_deep([[]], 1)
