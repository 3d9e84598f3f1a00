"""What crosses to a validation worker and back: the same submissions as inline
validation, and Problems whole."""

import pickle
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Agency
from services.http.problems import Forbidden, Problem, Unauthorized, Unprocessable
from services.ingest.intake import Intake
from tests.unit.test_envelope_fuzz import valid_envelopes

INTAKE = Intake(
    agency=Agency("health"),
    now=datetime(2030, 1, 1, tzinfo=UTC),
    max_skew=timedelta(minutes=5),
    max_depth=32,
    max_batch=1_000,
    metadata={"import": "historical"},
)


@settings(max_examples=60, deadline=None)
@given(st.lists(valid_envelopes(), min_size=1, max_size=4), st.booleans())
def test_a_worker_hands_back_what_inline_validation_gives(
    envelopes: list[dict[str, Any]], as_batch: bool
) -> None:
    """The same submissions, or the same Problem (a type the agency may not post)."""
    raw = orjson.dumps({"events": envelopes} if as_batch or len(envelopes) > 1 else envelopes[0])

    inline = outcome(lambda: INTAKE.submissions(raw))
    by_worker = outcome(lambda: INTAKE.from_canonical_json(INTAKE.to_canonical_json(raw)))

    assert by_worker == inline


def outcome(validate: Callable[[], Any]) -> Any:
    """The submissions with their digests (a worker's are computed there), or the
    Problem after a trip through pickle."""
    try:
        submissions, batch = validate()
        return submissions, batch, [s.digest() for s in submissions]
    except Problem as problem:
        again = pickle.loads(pickle.dumps(problem))
        return type(again), again.body("/")


@pytest.mark.parametrize(
    "problem",
    [
        Unprocessable("1 invalid field(s)", errors=[{"loc": ["body"], "msg": "x", "type": "t"}]),
        Forbidden("the health service may not post 'person.arrested' events"),
        Unauthorized(),
    ],
)
def test_a_problem_survives_pickling_whole(problem: Problem) -> None:
    again = pickle.loads(pickle.dumps(problem))

    assert type(again) is type(problem)
    assert again.body("/x") == problem.body("/x")
    assert again.headers == problem.headers
