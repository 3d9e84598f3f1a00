"""``delayed-medical-attention``: a child seen long after the injury was said to happen.

Child K was injured in the early hours of 31.12.16 and not taken for treatment
until 2.1.17 (SCR 1.1.2, 3.1.10, 3.1.13).
"""

from datetime import datetime

from events.records import RecordedEvent
from services.projection.domain.obligations import open_obligation
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.wording import Wording, span, when

DELAYED = "delayed-medical-attention"
RULES = (
    Rule(
        DELAYED,
        "A child was brought for medical attention more than the threshold (24h by default) "
        "after the time the injury was reported to have happened.",
        "SCR Child K 1.1.2, 3.1.10, 3.1.13 (medical attention sought 3 days after the injury)",
        "24h",
        "high",
        ("health", "edt", "police"),
    ),
)


def on_attended(state: CaseState, event: RecordedEvent) -> None:
    injured = _as_datetime(event.data.get("reported_injury_time"))
    terms = state.policy[DELAYED]
    if injured is None or terms.deadline is None:
        return
    if state.policy.calendar.add(injured, terms.deadline) < event.occurred_at:
        open_obligation(
            state,
            DELAYED,
            event,
            children=(event.data["child"],),
            concerns=("health", "edt", "police"),
            due_at=event.occurred_at,
            detail=injured.isoformat(),
        )


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None


def explain_delayed(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    zone = state.policy.calendar.timezone
    injured = datetime.fromisoformat(ob.detail)
    return Wording(
        what=f"{event.data['child']} was seen at {when(event.occurred_at, zone)}, "
        f"{span(event.occurred_at - injured)} after the injury reported at {when(injured, zone)}",
    )


HANDLERS = {"medical.attended": (on_attended,)}
EXPLAIN = {DELAYED: explain_delayed}
