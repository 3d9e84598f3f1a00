"""Whatever valid envelopes are recorded, start-up (the fold of everything),
``/cases`` and ``/findings`` answer: no case is set aside, none raises."""

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import RecordedEvent, Submission, canonical, parse_envelope
from services.http.auth import Principal
from services.projection.api import all_findings, list_cases
from services.projection.casebook import CaseBook
from services.projection.domain.rules import default_policy
from tests.unit.test_envelope_fuzz import valid_envelopes

POLICY = default_policy()
NOW = datetime(2199, 12, 31, tzinfo=UTC)
READER = Principal(key_id="k", name="reviewer", role="reviewer", agency=None)

any_moment = st.datetimes(
    min_value=datetime(1900, 1, 2),
    max_value=datetime(2199, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-23, minutes=-59))]
    ),
)
"""The whole range the contract allows, with the widest offsets."""


class Projection:
    """What the API reads of the projection service: its case book and clock."""

    def __init__(self, cases: CaseBook) -> None:
        self.cases = cases

    def now(self) -> datetime:
        return NOW

    async def readable(self, case_id: str | None = None) -> CaseBook:
        return self.cases  # one projection, not partitioned: its own book


def recorded(envelopes: list[dict[str, Any]]) -> list[RecordedEvent]:
    return [
        RecordedEvent.from_submission(
            Submission(canonical(parse_envelope(e)), "police"),
            position=i,
            stream_version=i,
            recorded_at=NOW,
        )
        for i, e in enumerate(envelopes, start=1)
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(valid_envelopes(), any_moment, st.sampled_from(["case-a", "case-b"])),
        min_size=1,
        max_size=12,
    )
)
def test_start_up_cases_and_findings_never_fail_on_valid_envelopes(
    drawn: list[tuple[dict[str, Any], datetime, str]],
) -> None:
    envelopes = [{**e, "occurred_at": at.isoformat(), "case_id": case} for e, at, case in drawn]
    book = CaseBook(POLICY)

    book.load(recorded(envelopes))
    projection: Any = Projection(book)
    cases = asyncio.run(list_cases(projection, READER))
    findings = asyncio.run(all_findings(projection, READER))

    assert {c["case_id"] for c in cases["cases"]} == {case for _, _, case in drawn}
    assert findings["degraded_cases"] == []
    assert all(c["degraded"] is None for c in cases["cases"])
