"""Scenarios as the store would record them, and what the rules should say about Child K.

``recorded_events("child-k")`` turns a scenario into ``RecordedEvent``s with
positions in file (posting) order and ``recorded_at = occurred_at + delay``, or the
event's ``post_after`` when it was recorded late (the uniformed officer's
observation of Child K's head: occurred 31.12.16 08:15, recorded 2.1.17 21:00).
``recorded_at`` never goes backwards.

Expected Child K findings when evaluated at ``CHILD_K_EVALUATE_AT`` (3.1.17 09:00,
when daytime services returned), checked against the domain in
``tests/unit/test_scenario_findings.py``. Times are UTC (= Europe/London in winter).

| # | rule                           | trigger(s)         | to     | due         | expected        |
|---|--------------------------------|--------------------|--------|-------------|-----------------|
| 1 | not-shared                     | ck-03 disclosure   | edt    | 31.12 09:20 | met_late 11:00  |
| 2 | child-not-considered (child-k) | ck-11 discussion   | -      | 31.12 15:30 | open            |
|2b | strategy-discussion-incomplete | ck-11 (no health)  | -      | 31.12 15:30 | open            |
| 3 | investigation-before-strategy- | ck-10 ABE interview| -      | 31.12 14:30 | open            |
|   | discussion                     |                    |        |             |                 |
| 4 | protective-adult-unconfirmed   | ck-12 agreement    | -      | 31.12 18:30 | open            |
| 5 | review-discussion-due          | ck-13 bail release | -      | 01.01 18:00 | met_late ck-23  |
| 6 | review-discussion-due          | ck-14 NFA release  | -      | 01.01 18:00 | met_late ck-23  |
| 7 | review-discussion-due          | ck-15 refusal      | -      | 01.01 18:15 | met_late ck-23  |
| 8 | not-shared                     | ck-15 refusal      | police | 31.12 22:15 | open            |
| 9 | not-shared                     | ck-16 breach       | police | 01.01 13:00 | open            |
|10 | review-discussion-due          | ck-16 breach       | -      | 02.01 12:00 | met_late ck-23  |
|11 | delayed-medical-attention      | ck-17 clinic       | -      | 02.01 13:00 | open            |
|12 | strategy-discussion-incomplete | ck-23 (no health)  | -      | 02.01 19:00 | open            |
|13 | legal-status-conflict          | ck-24 + ck-25      | -      | 02.01 20:00 | open            |
|14 | not-shared                     | ck-26 head (late)  | edt    | 31.12 12:15 | open; overdue   |
|   |                                |                    |        |             | when recorded   |

ck-11 is the reflective discussion after the ABE interview (EDT and police, Sibling
only): it met the disclosure's strategy-discussion duty in time, but left out Child K
(SCR 3.1.26) and health. ck-23 is the strategy discussion of 02.01 19:00 (EDT and
police only).

Not expected: not-shared for the incident (ck-09, 14:00) or the coaching concern
(ck-09), the injury to edt (ck-19) or police (ck-20); strategy-discussion-missing
for the injury (ck-23 within 24h); child-not-considered (both children in ck-12 and
ck-23); request-unanswered (ck-07 in 30 min); request-declined. Nor
placement-without-legal-basis: each agency recorded a basis; the review's point that
neither was really in place shows as the conflict (#13). ``child-k-good-practice``
raises no finding at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from events import RecordedEvent, Submission, canonical, parse_envelope
from services.projection.domain.rules import default_policy
from services.projection.review import review_document
from services.projection.scenarios import ScenarioEvent, load_scenario

CHILD_K_EVALUATE_AT = datetime(2017, 1, 3, 9, 0, tzinfo=UTC)
GENERATED_AT = datetime(2017, 4, 10, 9, 0, tzinfo=UTC)
RECORDING_DELAY = timedelta(minutes=5)


def recorded_events(
    name: str | list[ScenarioEvent], *, delay: timedelta = RECORDING_DELAY, first_position: int = 1
) -> list[RecordedEvent]:
    """The scenario as stored: file order, server-assigned ``recorded_at``."""
    events = load_scenario(name) if isinstance(name, str) else name
    out: list[RecordedEvent] = []
    last = datetime.min.replace(tzinfo=UTC)
    for i, item in enumerate(events):
        last = max(last, item.post_after or item.occurred_at + delay)
        sub = Submission(envelope=canonical(parse_envelope(item.envelope)), agency=item.agency)
        out.append(
            RecordedEvent.from_submission(
                sub, position=first_position + i, stream_version=i + 1, recorded_at=last
            )
        )
    return out


def ids(name: str) -> dict[str, str]:
    """Slug to event id, for assertions that read like the table above."""
    return {e.slug: e.event_id for e in load_scenario(name)}


class Expected(NamedTuple):
    rule: str
    triggers: tuple[str, ...]
    to_agency: str | None
    due: datetime
    status: str
    met_by: str | None = None


def _t(day: int, hour: int, minute: int = 0) -> datetime:
    year, month = (2016, 12) if day == 31 else (2017, 1)
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


_SD = "ck-23-strategy-discussion"
_REFUSAL, _BREACH = "ck-15-father-refuses", "ck-16-breach"
CHILD_K_EXPECTED: tuple[Expected, ...] = (
    Expected(
        "not-shared",
        ("ck-03-disclosure",),
        "edt",
        _t(31, 9, 20),
        "met_late",
        "ck-06-request-edt-abe",
    ),
    Expected(
        "child-not-considered", ("ck-11-reflective-discussion",), None, _t(31, 15, 30), "open"
    ),
    Expected(
        "strategy-discussion-incomplete",
        ("ck-11-reflective-discussion",),
        None,
        _t(31, 15, 30),
        "open",
    ),
    Expected(
        "investigation-before-strategy-discussion",
        ("ck-10-abe-interview",),
        None,
        _t(31, 14, 30),
        "open",
    ),
    Expected("protective-adult-unconfirmed", ("ck-12-agreement",), None, _t(31, 18, 30), "open"),
    Expected("review-discussion-due", ("ck-13-released-bail",), None, _t(1, 18), "met_late", _SD),
    Expected("review-discussion-due", ("ck-14-released-nfa",), None, _t(1, 18), "met_late", _SD),
    Expected("review-discussion-due", (_REFUSAL,), None, _t(1, 18, 15), "met_late", _SD),
    Expected("not-shared", (_REFUSAL,), "police", _t(31, 22, 15), "open"),
    Expected("not-shared", (_BREACH,), "police", _t(1, 13), "open"),
    Expected("review-discussion-due", (_BREACH,), None, _t(2, 12), "met_late", _SD),
    Expected("delayed-medical-attention", ("ck-17-clinic",), None, _t(2, 13), "open"),
    Expected("strategy-discussion-incomplete", (_SD,), None, _t(2, 19), "open"),
    Expected(
        "legal-status-conflict",
        ("ck-24-placed-police", "ck-25-placed-edt"),
        None,
        _t(2, 20),
        "open",
    ),
    Expected("not-shared", ("ck-26-head-observed-late",), "edt", _t(31, 12, 15), "open"),
)


def scenario_document(
    name: str = "child-k",
    at: datetime = CHILD_K_EVALUATE_AT,
    recorded_by: datetime | None = None,
) -> dict[str, Any]:
    """The replay document for a scenario, built by the real domain."""
    events = recorded_events(name)
    return review_document(
        events[0].case_id,
        events,
        default_policy(),
        at=at,
        recorded_by=recorded_by,
        generated_at=GENERATED_AT,
    )
