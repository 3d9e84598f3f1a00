"""Given/when/then in events for the pure joint-picture domain.

A ``Story`` writes one case's events as agencies would record them, with
positions in recording order and readable times ("31 Dec 03:00" is in the Child
K weekend, Europe/London, which is UTC in winter)::

    story = Story()
    breach = story.add("agreement.breached", "edt", at="1 Jan 16:40")
    state = story.fold()
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from events.findings import Finding
from events.records import RecordedEvent
from services.projection.domain import CaseState, RulePolicy, evaluate, fold
from services.projection.domain.rules import default_policy
from tests.support.factories import DEFAULT_DATA

LONDON = ZoneInfo("Europe/London")
CASE = "case-k"


def when(text: str) -> datetime:
    """ "31 Dec 03:00" (2016) or "2 Jan 09:15" (2017), London time, as an aware datetime."""
    parsed = datetime.strptime(text, "%d %b %H:%M")
    year = 2016 if parsed.month == 12 else 2017
    return parsed.replace(year=year, tzinfo=LONDON).astimezone(UTC)


def event_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


class Story:
    """Events of one case, numbered in the order they are recorded."""

    def __init__(self, case_id: str = CASE, policy: RulePolicy | None = None) -> None:
        self.case_id = case_id
        self.policy = policy or default_policy()
        self.events: list[RecordedEvent] = []

    def add(
        self,
        type: str,
        agency: str,
        *,
        at: str | datetime,
        recorded: str | datetime | None = None,
        envelope_children: Iterable[str] = (),
        metadata: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        actor: dict[str, Any] | None = None,
        **fields: Any,
    ) -> RecordedEvent:
        """Record an event; ``fields`` patch the factory's default payload for ``type``.

        ``envelope_children`` is the envelope's own ``children`` list (empty by default).
        """
        occurred = when(at) if isinstance(at, str) else at
        recorded_at = (
            occurred
            if recorded is None
            else (when(recorded) if isinstance(recorded, str) else recorded)
        )
        payload = copy.deepcopy(DEFAULT_DATA[type]) if data is None else dict(data)
        payload.update(fields)
        n = len(self.events) + 1
        event = RecordedEvent(
            event_id=event_id(n),
            case_id=self.case_id,
            type=type,
            occurred_at=occurred,
            children=tuple(envelope_children),
            actor=actor or {"role": "professional"},
            data=payload,
            agency=agency,
            recorded_at=recorded_at,
            position=n,
            stream_version=n,
            metadata=metadata or {},
        )
        self.events.append(event)
        return event

    def fold(self) -> CaseState:
        return fold(self.events, self.policy, case_id=self.case_id)

    def findings(self, at: str | datetime, rule: str | None = None) -> list[Finding]:
        moment = when(at) if isinstance(at, str) else at
        found = evaluate(self.fold(), moment)
        return [f for f in found if rule is None or f.rule == rule]


def shift(at: datetime, **delta: float) -> datetime:
    return at + timedelta(**delta)
