"""Payload (``data``) models for catalog v1, cut from the Child K review.

Every model forbids unknown fields: an integrator's typo must fail loudly rather
than be silently dropped from the evidence.
"""

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from events.agencies import Agency
from events.types import MAX_ITEMS, Ref, Refs, Text, Timestamp


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    past_facts: ClassVar[tuple[str, ...]] = ()
    """Time fields that say when something happened: like ``occurred_at``, the
    ingest intake refuses them beyond now plus the allowed clock skew."""


class AdultInHousehold(Payload):
    person: Ref
    relationship: Text


class HouseholdRecorded(Payload):
    children: Refs
    adults: list[AdultInHousehold] = Field(max_length=MAX_ITEMS)


class IncidentReported(Payload):
    kind: Literal["domestic_abuse", "assault", "missing_person", "concern_for_welfare", "other"]
    adults: Refs
    children_present: Refs
    summary: Text


class DisclosureMade(Payload):
    child: Ref
    alleged_perpetrator: Ref | None
    made_to: Text
    summary: Text


class ConcernObserved(Payload):
    child: Ref
    category: Literal[
        "injury", "neglect", "emotional", "sexual", "development", "behaviour", "other"
    ]
    concern: Text
    source: Literal["professional", "family", "public", "child"]
    significant_harm_suspected: StrictBool = False


class PersonArrested(Payload):
    person: Ref
    offence: Text
    related_children: Refs


class PersonReleased(Payload):
    person: Ref
    outcome: Literal["no_further_action", "released_under_investigation", "police_bail", "charged"]
    bail_conditions: Text | None
    for_offences: list[Text] = Field(max_length=MAX_ITEMS)


class InterviewConducted(Payload):
    child: Ref
    kind: Literal["abe", "first_account", "other"]
    child_sustained_allegation: StrictBool | None
    summary: Text


class Attendee(Payload):
    agency: Agency | Literal["other"]
    role: Text


class StrategyDiscussionHeld(Payload):
    kind: Literal["initial", "review"]
    attendees: list[Attendee] = Field(max_length=MAX_ITEMS)
    children_considered: Refs
    s47_enquiry: StrictBool
    decisions: Text
    information_shared: list[UUID] = Field(default_factory=list, max_length=MAX_ITEMS)


class ProtectiveAdult(Payload):
    person: Ref
    confirmed: StrictBool


class AgreementMade(Payload):
    agreement_id: Ref
    children: Refs
    conditions: list[Text] = Field(min_length=1, max_length=MAX_ITEMS)
    signed_by: Refs
    protective_adults: list[ProtectiveAdult] = Field(max_length=MAX_ITEMS)


class AgreementPerson(Payload):
    agreement_id: Ref
    person: Ref


class AgreementAdultConfirmed(AgreementPerson):
    pass


class AgreementPartyRefused(AgreementPerson):
    pass


class AgreementBreached(Payload):
    agreement_id: Ref
    summary: Text


LegalBasis = Literal[
    "s20",
    "police_protection",
    "emergency_protection_order",
    "interim_care_order",
    "care_order",
    "private_arrangement",
    "none",
    "unknown",
]


class ChildPlaced(Payload):
    child: Ref
    placed_with: Text
    legal_basis: LegalBasis


class PoliceProtectionInvoked(Payload):
    children: Refs = Field(min_length=1)
    place_of_safety: Text


class PoliceProtectionEnded(Payload):
    children: Refs = Field(min_length=1)
    reason: Text


class MedicalAttended(Payload):
    child: Ref
    setting: Literal["emergency_department", "gp", "clinic", "ambulance", "ward", "other"]
    presenting_complaint: Text
    reported_injury_time: Timestamp | None
    brought_by: Ref | None
    past_facts = ("reported_injury_time",)


class InjuryIdentified(Payload):
    child: Ref
    injury: Text
    non_accidental_suspected: StrictBool


SharingMethod = Literal["phone", "email", "meeting", "secure_system", "in_person"]


class InformationShared(Payload):
    to_agency: Agency
    about: list[UUID] = Field(min_length=1, max_length=MAX_ITEMS)
    method: SharingMethod
    summary: Text


class RequestMade(Payload):
    request_id: Ref
    to_agency: Agency
    kind: Literal[
        "welfare_check",
        "attend_interview",
        "strategy_discussion",
        "medical_examination",
        "information",
        "other",
    ]
    about: list[UUID] = Field(max_length=MAX_ITEMS)
    summary: Text


class RequestResponded(Payload):
    request_id: Ref
    outcome: Literal["accepted", "declined", "completed"]
    reason: Text


# --- events Safeguard itself appends: the audit trail of alerting -------------


class AlertSent(Payload):
    alert_id: UUID
    finding_id: Ref
    subscription: Ref
    attempt: int = Field(ge=1)
    status_code: int
    finding_status: Literal["open", "met_late", "resolved"]


class AlertFailed(Payload):
    alert_id: UUID
    finding_id: Ref
    subscription: Ref
    attempt: int = Field(ge=1)
    error: Text
    status_code: int | None = None
    permanent: StrictBool = False
    next_attempt_at: Timestamp | None = None
    """Planned, so in the future; only Safeguard's notifier writes it (agencies may
    not post alert events), within the contract's fixed range."""


class AlertAcknowledged(Payload):
    alert_id: UUID
    finding_id: Ref
    subscription: Ref
    by: Ref
    note: Text | None = None


class AlertEscalated(Payload):
    alert_id: UUID
    finding_id: Ref
    subscription: Ref
    escalated_to: Ref
    escalated_alert_id: UUID


class FindingResolved(Payload):
    finding_id: Ref
    by: Ref
    reason: Text
