"""Findings as of an evaluation time: which obligations are overdue, met late or resolved.

A finding exists for an obligation that, at ``at``, is past due and unmet
(``open``), was met after its deadline (``met_late``) or was closed by a duty
manager (``resolved``). What counts is when things *occurred*: a notification
that occurred in time but was recorded late meets the obligation in time.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from events.findings import Finding, FindingStatus
from events.records import RecordedEvent
from services.projection.domain.rules import EXPLAIN
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.wording import span, when


def evaluate(state: CaseState, at: datetime) -> list[Finding]:
    """Every finding of the case as of ``at``, earliest due first."""
    found = [f for ob in state.obligations if (f := finding_for(state, ob, at)) is not None]
    found.sort(key=lambda f: (f.due_at, f.rule, f.finding_id))
    return found


def changed_findings(state: CaseState, at: datetime, announced: Mapping[str, str]) -> list[Finding]:
    """The findings whose status at ``at`` differs from ``announced`` (finding id to
    status). The live service asks this of every case in every batch, of each of
    its obligations: building a finding's explanation costs far more than
    deciding its status, so only changes pay it."""
    resolutions = state.resolutions
    return [
        finding
        for ob in state.obligations
        if (status := _status(ob, resolutions, at)) is not None
        and announced.get(ob.finding_id) != status
        and (finding := finding_for(state, ob, at)) is not None
    ]


def next_deadline(state: CaseState, after: datetime) -> datetime | None:
    """The earliest deadline after ``after`` at which a finding could open without any event.

    The live service sleeps until then: a finding opens at ``due_at`` even if
    nothing else arrives.
    """
    due = [
        ob.due_at
        for ob in state.obligations
        if ob.due_at > after and not _met_in_time(ob) and ob.finding_id not in state.resolutions
    ]
    return min(due, default=None)


def obligation_state(ob: Obligation, at: datetime) -> str:
    """ "pending", "met", "met_late" or "overdue", as of ``at``."""
    if ob.met_by(at):
        return "met" if _met_in_time(ob) else "met_late"
    return "overdue" if at >= ob.due_at else "pending"


def status_of(state: CaseState, ob: Obligation, at: datetime) -> FindingStatus | None:
    """The status of ``ob``'s finding at ``at``, or None if it has none (yet)."""
    return _status(ob, state.resolutions, at)


def _status(
    ob: Obligation, resolutions: Mapping[str, RecordedEvent], at: datetime
) -> FindingStatus | None:
    underlying = _underlying(ob, at)
    if underlying is None:
        return None
    resolution = resolutions.get(ob.finding_id)
    return "resolved" if resolution is not None and resolution.occurred_at <= at else underlying


def _underlying(ob: Obligation, at: datetime) -> FindingStatus | None:
    """``obligation_state`` as a finding's status, written out: it is asked of
    every obligation of every case in every live batch (a call costs more than
    the comparisons it makes)."""
    if ob.trigger.occurred_at > at:  # not opened yet
        return None
    met_at = ob.met_at
    if met_at is not None and met_at <= at:
        return None if met_at <= ob.due_at else "met_late"
    return "open" if at >= ob.due_at else None


def _resolution(state: CaseState, ob: Obligation, at: datetime) -> RecordedEvent | None:
    resolution = state.resolutions.get(ob.finding_id)
    return None if resolution is None or resolution.occurred_at > at else resolution


def finding_for(state: CaseState, ob: Obligation, at: datetime) -> Finding | None:
    underlying = _underlying(ob, at)
    if underlying is None:
        return None
    resolution = _resolution(state, ob, at)
    met = ob.met_by(at)
    return Finding(
        finding_id=ob.finding_id,
        rule=ob.rule,
        case_id=state.case_id,
        status="resolved" if resolution is not None else underlying,
        children=ob.children,
        trigger_event_ids=ob.trigger_event_ids,
        due_at=ob.due_at.astimezone(UTC),
        concerns_agencies=ob.concerns_agencies,
        severity=ob.severity,
        explanation=explain(state, ob, underlying, resolution.data if resolution else None),
        to_agency=ob.to_agency,
        met_at=ob.met_at.astimezone(UTC) if met and ob.met_at else None,
        met_by_event_id=ob.met_by_event_id if met else None,
        resolved_at=resolution.occurred_at.astimezone(UTC) if resolution else None,
        resolved_by=str(resolution.data.get("by")) if resolution else None,
        resolution_reason=str(resolution.data.get("reason")) if resolution else None,
        historical=ob.historical,
    )


def explain(
    state: CaseState, ob: Obligation, status: FindingStatus, resolution: Mapping[str, Any] | None
) -> str:
    """The rule's words plus the deadline: one or two sentences for a duty manager."""
    words = EXPLAIN[ob.rule](ob, state)
    what = words.what.rstrip(".")
    zone = state.policy.calendar.timezone
    instant = ob.due_at == ob.opened_at
    due = "" if instant else f" (due {when(ob.due_at, zone, same_day_as=ob.opened_at)})"
    if status == "met_late" and ob.met_at is not None:
        met = when(ob.met_at, zone, same_day_as=ob.due_at)
        late = "" if instant else f", {span(ob.met_at - ob.due_at)} late"
        text = f"{what}; {words.done or 'put right'} at {met}{late}{due}."
    elif words.missing and not instant:
        text = f"{what}; {words.missing}{due}."
    else:
        text = f"{what}."
    text = text[:1].upper() + text[1:]
    if resolution is not None:
        text += f" Resolved by {resolution.get('by')}: {resolution.get('reason')}"
    return text


def _met_in_time(ob: Obligation) -> bool:
    return ob.met_at is not None and ob.met_at <= ob.due_at
