"""Whatever valid envelopes are recorded, the fold of everything, ``/cases`` and
``/findings`` answer: no case is set aside, none raises. (The read model is a
SQLite file in a temporary folder: the API reads its tables.)"""

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import RecordedEvent, Submission, canonical, parse_envelope
from infra.clock import FixedClock
from infra.feed import FeedBatch
from services.http.auth import Principal
from services.projection.api import all_findings, list_cases
from services.projection.bootstrap import open_read_model
from services.projection.casebook import CaseBook
from services.projection.domain.identity import Linker
from services.projection.domain.rules import default_policy
from services.projection.service import ProjectionService
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


async def serve(folder: Path, events: list[RecordedEvent]) -> tuple[Any, Any]:
    """The API's answers after the service has folded ``events`` into its read
    model (a real SQLite file in a temporary folder)."""
    projection = ProjectionService(
        feed=None,  # type: ignore[arg-type]  # driven through handle()
        model=open_read_model(folder / "projection.db", POLICY, keep_events=False),
        casebook=CaseBook(POLICY),
        clock=FixedClock(NOW),
    )
    await projection.start()
    await projection.handle(FeedBatch(events))
    cases = await list_cases(projection, READER)
    findings = await all_findings(projection, READER)
    await projection.stop()
    return cases, findings


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
    with tempfile.TemporaryDirectory() as folder:
        cases, findings = asyncio.run(serve(Path(folder), recorded(envelopes)))

    linker = Linker()  # envelopes may carry identifiers or links: joint cases are listed
    for event in recorded(envelopes):
        linker.observe(event)
    assert {c["case_id"] for c in cases["cases"]} == {linker.joint_id(c) for _, _, c in drawn}
    assert findings["degraded_cases"] == []
    assert all(c["degraded"] is None for c in cases["cases"])
