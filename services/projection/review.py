"""A case review document: the joint picture of one case as of a moment.

Pure: the caller reads the events and writes the output.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from events.records import RecordedEvent
from services.projection.domain.fold import as_of, fold
from services.projection.domain.picture import picture
from services.projection.domain.policy import RulePolicy


def review_document(
    case_id: str,
    events: Sequence[RecordedEvent],
    policy: RulePolicy,
    *,
    at: datetime,
    recorded_by: datetime | None,
    generated_at: datetime,
) -> dict[str, Any]:
    state = fold(as_of(events, at, recorded_by), policy, case_id=case_id)
    return {
        "picture": picture(state, at),
        "generated_at": generated_at.isoformat(),
        "as_of": at.isoformat(),
        "recorded_by": recorded_by.isoformat() if recorded_by else None,
    }
