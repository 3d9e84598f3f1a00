"""Valid envelopes and submissions for any catalog type, for tests everywhere.

Defaults tell a small Child K-like story (child ``child-k``, adult ``adult-m``)
so a test only states the fields its behaviour depends on::

    make_submission(type="disclosure.made", case_id="case-1", summary="...")
    make_envelope("person.released", outcome="charged")

Every default is validated through ``events.parse_envelope``; a test in
``tests/unit/test_factories.py`` proves each catalog type's default is valid.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from events import CATALOG, Submission, canonical, parse_envelope

DEFAULT_CASE = "case-1"
DEFAULT_OCCURRED_AT = datetime(2024, 3, 1, 21, 30, tzinfo=UTC)
CHILD = "child-k"
ADULT = "adult-m"
_ABOUT = "00000000-0000-4000-8000-000000000001"
_ALERT = "00000000-0000-4000-8000-0000000000a1"

DEFAULT_DATA: dict[str, dict[str, Any]] = {
    "household.recorded": {
        "children": [CHILD],
        "adults": [{"person": ADULT, "relationship": "mother's partner"}],
    },
    "incident.reported": {
        "kind": "domestic_abuse",
        "adults": [ADULT],
        "children_present": [CHILD],
        "summary": "Neighbour reported shouting; officers attended.",
    },
    "disclosure.made": {
        "child": CHILD,
        "alleged_perpetrator": ADULT,
        "made_to": "teacher",
        "summary": "Child said the man at home hurt her arm.",
    },
    "concern.observed": {
        "child": CHILD,
        "category": "injury",
        "concern": "Bruising to the upper arm.",
        "source": "professional",
    },
    "person.arrested": {"person": ADULT, "offence": "assault", "related_children": [CHILD]},
    "person.released": {
        "person": ADULT,
        "outcome": "police_bail",
        "bail_conditions": "Not to contact the child.",
        "for_offences": ["assault"],
    },
    "interview.conducted": {
        "child": CHILD,
        "kind": "abe",
        "child_sustained_allegation": True,
        "summary": "Achieving Best Evidence interview.",
    },
    "strategy_discussion.held": {
        "kind": "initial",
        "attendees": [{"agency": "police", "role": "DS"}, {"agency": "edt", "role": "EDT SW"}],
        "children_considered": [CHILD],
        "s47_enquiry": True,
        "decisions": "Section 47 enquiry to start.",
    },
    "agreement.made": {
        "agreement_id": "agreement-1",
        "children": [CHILD],
        "conditions": ["Adult M not to stay at the home."],
        "signed_by": ["mother"],
        "protective_adults": [{"person": "grandmother", "confirmed": False}],
    },
    "agreement.adult_confirmed": {"agreement_id": "agreement-1", "person": "grandmother"},
    "agreement.party_refused": {"agreement_id": "agreement-1", "person": ADULT},
    "agreement.breached": {"agreement_id": "agreement-1", "summary": "Adult M seen at home."},
    "child.placed": {"child": CHILD, "placed_with": "grandmother", "legal_basis": "s20"},
    "police_protection.invoked": {"children": [CHILD], "place_of_safety": "foster carer"},
    "police_protection.ended": {"children": [CHILD], "reason": "Placed under s20."},
    "medical.attended": {
        "child": CHILD,
        "setting": "emergency_department",
        "presenting_complaint": "Arm injury.",
        "reported_injury_time": None,
        "brought_by": "mother",
    },
    "injury.identified": {
        "child": CHILD,
        "injury": "Spiral fracture of the left humerus.",
        "non_accidental_suspected": True,
    },
    "information.shared": {
        "to_agency": "edt",
        "about": [_ABOUT],
        "method": "phone",
        "summary": "Police told EDT of the arrest.",
    },
    "request.made": {
        "request_id": "request-1",
        "to_agency": "health",
        "kind": "medical_examination",
        "about": [_ABOUT],
        "summary": "Child protection medical requested.",
    },
    "request.responded": {
        "request_id": "request-1",
        "outcome": "accepted",
        "reason": "Paediatrician available.",
    },
    "alert.sent": {
        "alert_id": _ALERT,
        "finding_id": "finding-1",
        "subscription": "duty-manager",
        "attempt": 1,
        "status_code": 200,
        "finding_status": "open",
    },
    "alert.failed": {
        "alert_id": _ALERT,
        "finding_id": "finding-1",
        "subscription": "duty-manager",
        "attempt": 1,
        "error": "connection refused",
    },
    "alert.acknowledged": {
        "alert_id": _ALERT,
        "finding_id": "finding-1",
        "subscription": "duty-manager",
        "by": "duty-manager-1",
    },
    "alert.escalated": {
        "alert_id": _ALERT,
        "finding_id": "finding-1",
        "subscription": "duty-manager",
        "escalated_to": "head-of-service",
        "escalated_alert_id": "00000000-0000-4000-8000-0000000000a2",
    },
    "finding.resolved": {
        "finding_id": "finding-1",
        "by": "duty-manager-1",
        "reason": "Strategy discussion held late; recorded.",
    },
    # catalog v2: posted with "schema_version": 2 (``make_envelope`` adds it)
    "conference.held": {
        "kind": "initial",
        "children_considered": [CHILD],
        "attendees": [
            {"agency": "children_social_care", "role": "chair"},
            {"agency": "education", "role": "designated safeguarding lead"},
        ],
        "decision": "child_protection_plan",
        "category": "physical",
    },
    "plan.started": {"child": CHILD, "kind": "child_protection", "category": "physical"},
    "plan.ended": {"child": CHILD, "kind": "child_protection", "reason": "Review: risk reduced."},
    "placement.ended": {
        "child": CHILD,
        "outcome": "returned_home",
        "returned_to": "mother",
        "reason": "s20 consent withdrawn.",
    },
    "home_visit.made": {
        "child": CHILD,
        "child_seen": False,
        "announced": True,
        "summary": "Mother said the child was asleep upstairs.",
    },
    "police_action.taken": {
        "person": ADULT,
        "action": "charging_decision",
        "charging_decision": "not_charged",
        "related_children": [CHILD],
        "summary": "CPS advised insufficient evidence.",
    },
    "legal_planning_meeting.held": {
        "children_considered": [CHILD],
        "threshold_met": True,
        "decision": "pre_proceedings",
    },
    "parental_responsibility.recorded": {
        "child": CHILD,
        "holders": [{"person": "mother", "basis": "birth_mother"}],
    },
    "parental_responsibility_holder.informed": {
        "child": CHILD,
        "person": "mother",
        "method": "in_person",
        "summary": "Told of the strategy discussion's decision.",
    },
    "serious_incident.notified": {
        "child": CHILD,
        "kind": "serious_harm",
        "notified_to": "national_panel",
        "incident_time": "2024-03-01T18:00:00Z",
        "summary": "Serious injury to a child on a protection plan.",
    },
    "household_member.reported": {
        "person": ADULT,
        "relationship": "mother's new partner",
        "reported_by": "child",
        "children": [CHILD],
    },
}

DEFAULT_DATA |= {
    name: {"other_case_id": "case-2", "reason": "Same NHS number on both records."}
    for name in ("case.linked", "case.unlinked", "link.proposed", "link.confirmed", "link.rejected")
}
"""The identity types (``events.catalog.IDENTITY_TYPES``) share one payload shape."""

DEFAULT_ACTOR = {"role": "officer", "ref": "pc-101"}


def new_event_id() -> str:
    return str(uuid.uuid4())


def make_envelope(
    type: str = "disclosure.made",
    *,
    case_id: str = DEFAULT_CASE,
    event_id: str | None = None,
    occurred_at: datetime | str | None = None,
    actor: dict[str, Any] | None = None,
    children: list[str] | None = None,
    data: dict[str, Any] | None = None,
    **data_overrides: Any,
) -> dict[str, Any]:
    """A valid envelope dict (as an agency would post it) for ``type``.

    ``data`` replaces the default payload; keyword overrides patch it field by
    field. The result is validated, so a bad override fails here, loudly.
    """
    when = occurred_at or DEFAULT_OCCURRED_AT
    envelope = {
        "event_id": event_id or new_event_id(),
        "case_id": case_id,
        "type": type,
        "occurred_at": when.isoformat() if isinstance(when, datetime) else when,
        "children": [CHILD] if children is None else children,
        "actor": dict(actor or DEFAULT_ACTOR),
        "data": {**(DEFAULT_DATA[type] if data is None else data), **data_overrides},
    }
    version = CATALOG[type].schema_version if type in CATALOG else 1
    if version != 1:
        envelope["schema_version"] = version
    parse_envelope(envelope)
    return envelope


def make_submission(
    agency: str = "police", *, metadata: dict[str, Any] | None = None, **kw: Any
) -> Submission:
    """A ``Submission`` as the ingest service would build it (canonical envelope)."""
    envelope = canonical(parse_envelope(make_envelope(**kw)))
    return Submission(envelope=envelope, agency=agency, metadata=metadata or {})
