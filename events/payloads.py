"""Payload (``data``) models for catalog v1, cut from the Child K review.

Every model forbids unknown fields: an integrator's typo must fail loudly rather
than be silently dropped from the evidence.
"""

from functools import partial
from operator import is_
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from events.agencies import Agency
from events.types import MAX_ITEMS, CaseId, Ref, Refs, Text, Timestamp


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    past_facts: ClassVar[tuple[str, ...]] = ()
    """Time fields that say when something happened: like ``occurred_at``, the
    ingest intake refuses them beyond now plus the allowed clock skew."""


def _unsent() -> Any:
    """An optional field added after its type was in use: left out of the canonical
    form when not sent, so a stored event keeps its bytes and its digest."""
    return Field(default=None, exclude_if=partial(is_, None))


UnitSlug = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
]
"""A unit within an agency, spelt as ``actor.unit`` is (``community-paediatrics``)."""


class AdultInHousehold(Payload):
    person: Ref
    relationship: Text
    resident: StrictBool | None = _unsent()
    """True when the adult lives in the home: a record also lists family who live
    elsewhere, and only a resident missing from another agency's record is a gap."""


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
    child_protection_medical: StrictBool | None = _unsent()
    """True for a child protection medical: what other agencies and units know about
    the child must reach the examining clinician before it."""
    past_facts = ("reported_injury_time",)


class InjuryIdentified(Payload):
    child: Ref
    injury: Text
    non_accidental_suspected: StrictBool
    child_mobile: StrictBool | None = _unsent()
    """False for a child not yet mobile (not crawling, pulling up or walking): any
    injury to them is shared at once, whatever the clinician thinks of it."""


SharingMethod = Literal["phone", "email", "meeting", "secure_system", "in_person"]


class InformationShared(Payload):
    to_agency: Agency
    about: list[UUID] = Field(min_length=1, max_length=MAX_ITEMS)
    method: SharingMethod
    summary: Text
    to_unit: UnitSlug | None = _unsent()
    """The unit of ``to_agency`` told (``community-paediatrics``), when the sharer knew
    it: one part of an agency knowing is not another part knowing."""


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


# --- catalog v2 (``schema_version`` 2): from later serious case reviews ----------


class ConferenceHeld(Payload):
    """A child protection conference: who came and what it decided."""

    kind: Literal["initial", "review", "transfer_in"]
    children_considered: Refs = Field(min_length=1)
    attendees: list[Attendee] = Field(max_length=MAX_ITEMS)
    decision: Literal["child_protection_plan", "child_in_need_plan", "no_plan", "plan_ended"]
    category: Literal["neglect", "physical", "emotional", "sexual", "multiple"] | None = None
    summary: Text | None = None


PlanKind = Literal["child_protection", "child_in_need", "looked_after", "other"]


class PlanStarted(Payload):
    """A child was put on a plan (for a child protection plan: on the register)."""

    child: Ref
    kind: PlanKind
    category: Literal["neglect", "physical", "emotional", "sexual", "multiple"] | None = None


class PlanEnded(Payload):
    child: Ref
    kind: PlanKind
    reason: Text


class PlacementEnded(Payload):
    child: Ref
    outcome: Literal["returned_home", "moved_placement", "other"]
    returned_to: Ref | None = None
    """Who the child went back to, when returned home."""
    reason: Text


class HomeVisitMade(Payload):
    child: Ref
    child_seen: StrictBool
    seen_alone: StrictBool | None = None
    announced: StrictBool
    summary: Text


class PoliceActionTaken(Payload):
    """Police action short of arrest, or after it: an interview, a decision."""

    person: Ref
    action: Literal[
        "voluntary_interview",
        "interview_under_caution",
        "no_further_action",
        "charging_decision",
        "other",
    ]
    charging_decision: Literal["charged", "not_charged", "cautioned", "pending"] | None = None
    related_children: Refs = Field(default_factory=list)
    summary: Text


class LegalPlanningMeetingHeld(Payload):
    children_considered: Refs = Field(min_length=1)
    threshold_met: StrictBool
    """Whether the threshold for care proceedings was judged met."""
    decision: Literal[
        "issue_proceedings", "pre_proceedings", "no_legal_action", "further_assessment"
    ]
    summary: Text | None = None


class ResponsibilityHolder(Payload):
    person: Ref
    basis: Literal[
        "birth_mother",
        "married_father",
        "registered_father",
        "agreement",
        "court_order",
        "special_guardian",
        "adoptive_parent",
        "local_authority",
        "other",
    ]


class ParentalResponsibilityRecorded(Payload):
    """Who holds parental responsibility for a child, as the agency recorded it."""

    child: Ref
    holders: list[ResponsibilityHolder] = Field(min_length=1, max_length=MAX_ITEMS)


class ParentalResponsibilityHolderInformed(Payload):
    child: Ref
    person: Ref
    method: SharingMethod
    about: list[UUID] = Field(default_factory=list, max_length=MAX_ITEMS)
    summary: Text


class SeriousIncidentNotified(Payload):
    """A child's death or serious harm was notified (to the national panel, Ofsted...)."""

    child: Ref
    kind: Literal["child_death", "serious_harm"]
    notified_to: Literal[
        "national_panel",
        "ofsted",
        "child_death_review",
        "safeguarding_partnership",
        "coroner",
        "other",
    ]
    incident_time: Timestamp
    summary: Text
    past_facts = ("incident_time",)


class HouseholdMemberReported(Payload):
    """Someone said to live in or visit the household: reported, not verified."""

    person: Ref
    relationship: Text
    reported_by: Literal["child", "family", "neighbour", "professional", "public", "other"]
    children: Refs = Field(default_factory=list)
    last_seen_at: Timestamp | None = None
    summary: Text | None = None
    past_facts = ("last_seen_at",)


# --- identity: linking one agency's case to another's (docs/identity.md) ------


class CaseLinked(Payload):
    """This case and ``other_case_id`` are about the same child or family: one
    joint case from now on, as an NHS number shared by both would make them."""

    other_case_id: CaseId
    reason: Text


class CaseUnlinked(Payload):
    """This case and ``other_case_id`` are not the same: split them, whatever
    identifier joined them (a wrongly recorded NHS number, say)."""

    other_case_id: CaseId
    reason: Text


class LinkProposed(Payload):
    """A professional thinks this case and ``other_case_id`` may be the same
    child; a person at EDT or children's social care confirms or rejects it."""

    other_case_id: CaseId
    reason: Text


class LinkConfirmed(Payload):
    """A proposed (or derived probable) match confirmed: the cases are joined."""

    other_case_id: CaseId
    reason: Text


class LinkRejected(Payload):
    """A probable match rejected: not the same child, no longer proposed."""

    other_case_id: CaseId
    reason: Text
