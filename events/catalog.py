"""The catalog: every event type, its payload model, who may post it and the
``schema_version`` its envelope carries.

v1 is the Child K catalog; v2 adds types from later reviews (conferences, plans,
home visits...). Versions are per type, not per catalog: a v1 type keeps
``schema_version`` 1 for ever, so stored v1 events and their digests never change,
and a v2 type is posted with ``schema_version`` 2.

Adding a type is one payload class in ``payloads.py`` and one line here.
"""

from dataclasses import dataclass

from events import payloads as p
from events.agencies import ALL_AGENCIES, Agency


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    payload: type[p.Payload]
    posters: frozenset[Agency]
    """Agencies whose services accept this type; empty for Safeguard's own events."""
    description: str
    schema_version: int = 1
    """What the envelope's ``schema_version`` must say for this type."""


POLICE = frozenset({Agency.POLICE})
EDT = frozenset({Agency.EDT})
HEALTH = frozenset({Agency.HEALTH})
SOCIAL_CARE = frozenset({Agency.EDT, Agency.CHILDREN_SOCIAL_CARE})
"""Children's social care, out of hours (EDT) and by day: the same statutory duties."""
SYSTEM: frozenset[Agency] = frozenset()

_TYPES = [
    EventType(
        "household.recorded",
        p.HouseholdRecorded,
        ALL_AGENCIES,
        "Who lives in or is part of the household.",
    ),
    EventType(
        "incident.reported",
        p.IncidentReported,
        POLICE,
        "An incident attended or reported to the police.",
    ),
    EventType(
        "disclosure.made", p.DisclosureMade, ALL_AGENCIES, "A child told a professional about harm."
    ),
    EventType(
        "concern.observed",
        p.ConcernObserved,
        ALL_AGENCIES,
        "A professional observed or was told of a concern about a child.",
    ),
    EventType("person.arrested", p.PersonArrested, POLICE, "An adult was arrested."),
    EventType(
        "person.released",
        p.PersonReleased,
        POLICE,
        "An arrested adult was released, with the outcome.",
    ),
    EventType(
        "interview.conducted",
        p.InterviewConducted,
        POLICE,
        "A child was interviewed (ABE, first account or other).",
    ),
    EventType(
        "strategy_discussion.held",
        p.StrategyDiscussionHeld,
        SOCIAL_CARE,
        "A multi-agency strategy discussion or meeting was held.",
    ),
    EventType(
        "agreement.made",
        p.AgreementMade,
        SOCIAL_CARE,
        "A written safety (working) agreement was made.",
    ),
    EventType(
        "agreement.adult_confirmed",
        p.AgreementAdultConfirmed,
        SOCIAL_CARE,
        "A protective adult named in an agreement confirmed their part.",
    ),
    EventType(
        "agreement.party_refused",
        p.AgreementPartyRefused,
        SOCIAL_CARE,
        "A party to an agreement refused to keep to it.",
    ),
    EventType(
        "agreement.breached",
        p.AgreementBreached,
        ALL_AGENCIES,
        "An agreement was found not to be kept.",
    ),
    EventType(
        "child.placed",
        p.ChildPlaced,
        ALL_AGENCIES,
        "A child was placed away from home, with the legal basis as recorded.",
    ),
    EventType(
        "police_protection.invoked",
        p.PoliceProtectionInvoked,
        POLICE,
        "Children Act 1989 s46 police protection was taken.",
    ),
    EventType(
        "police_protection.ended", p.PoliceProtectionEnded, POLICE, "Police protection ended."
    ),
    EventType(
        "medical.attended", p.MedicalAttended, HEALTH, "A child was seen by a health service."
    ),
    EventType(
        "injury.identified",
        p.InjuryIdentified,
        HEALTH,
        "A health professional identified an injury.",
    ),
    EventType(
        "information.shared",
        p.InformationShared,
        ALL_AGENCIES,
        "Information about earlier events was passed to another agency.",
    ),
    EventType("request.made", p.RequestMade, ALL_AGENCIES, "One agency asked another to act."),
    EventType(
        "request.responded", p.RequestResponded, ALL_AGENCIES, "An agency answered a request."
    ),
    EventType("alert.sent", p.AlertSent, SYSTEM, "A duty manager's webhook accepted an alert."),
    EventType("alert.failed", p.AlertFailed, SYSTEM, "An alert delivery attempt failed."),
    EventType(
        "alert.acknowledged", p.AlertAcknowledged, SYSTEM, "A duty manager acknowledged an alert."
    ),
    EventType(
        "alert.escalated",
        p.AlertEscalated,
        SYSTEM,
        "An unacknowledged alert went to the escalation contact.",
    ),
    EventType(
        "finding.resolved",
        p.FindingResolved,
        SYSTEM,
        "A duty manager closed a finding, with the reason.",
    ),
]

_V2_TYPES = [
    EventType(
        "conference.held",
        p.ConferenceHeld,
        SOCIAL_CARE,
        "A child protection conference was held: who attended and what it decided.",
        2,
    ),
    EventType(
        "plan.started",
        p.PlanStarted,
        SOCIAL_CARE,
        "A child was put on a plan (a child protection plan: the register).",
        2,
    ),
    EventType("plan.ended", p.PlanEnded, SOCIAL_CARE, "A child's plan ended.", 2),
    EventType(
        "placement.ended",
        p.PlacementEnded,
        ALL_AGENCIES,
        "A placement away from home ended: the child returned home or moved.",
        2,
    ),
    EventType(
        "home_visit.made",
        p.HomeVisitMade,
        ALL_AGENCIES,
        "A professional visited the home, and whether the child was seen.",
        2,
    ),
    EventType(
        "police_action.taken",
        p.PoliceActionTaken,
        POLICE,
        "Police action short of arrest: an interview, no further action, a charging decision.",
        2,
    ),
    EventType(
        "legal_planning_meeting.held",
        p.LegalPlanningMeetingHeld,
        SOCIAL_CARE,
        "A legal planning meeting considered care proceedings.",
        2,
    ),
    EventType(
        "parental_responsibility.recorded",
        p.ParentalResponsibilityRecorded,
        ALL_AGENCIES,
        "Who holds parental responsibility for a child.",
        2,
    ),
    EventType(
        "parental_responsibility_holder.informed",
        p.ParentalResponsibilityHolderInformed,
        ALL_AGENCIES,
        "A holder of parental responsibility was told what had happened.",
        2,
    ),
    EventType(
        "serious_incident.notified",
        p.SeriousIncidentNotified,
        ALL_AGENCIES,
        "A child's death or serious harm was notified.",
        2,
    ),
    EventType(
        "household_member.reported",
        p.HouseholdMemberReported,
        ALL_AGENCIES,
        "Someone was reported to live in or visit the household (not verified).",
        2,
    ),
]
_IDENTITY_TYPES = [
    EventType(
        "case.linked",
        p.CaseLinked,
        ALL_AGENCIES,
        "This case and another are about the same child or family: join them.",
        2,
    ),
    EventType(
        "case.unlinked",
        p.CaseUnlinked,
        SOCIAL_CARE,
        "This case and another are not the same: split them.",
        2,
    ),
    EventType(
        "link.proposed",
        p.LinkProposed,
        ALL_AGENCIES,
        "This case and another may be the same child: for EDT or social care to decide.",
        2,
    ),
    EventType(
        "link.confirmed",
        p.LinkConfirmed,
        SOCIAL_CARE,
        "A probable match between two cases was confirmed: they are joined.",
        2,
    ),
    EventType(
        "link.rejected",
        p.LinkRejected,
        SOCIAL_CARE,
        "A probable match between two cases was rejected: no longer proposed.",
        2,
    ),
]
"""Linking is recorded as events, so replay as of any moment follows it. Deciding
a probable match, or splitting a joint case, is for children's social care (EDT
or day teams), who hold the statutory duty to decide who a child is."""

IDENTITY_TYPES: frozenset[str] = frozenset(t.name for t in _IDENTITY_TYPES)
_TYPES += _V2_TYPES + _IDENTITY_TYPES

CATALOG: dict[str, EventType] = {t.name: t for t in _TYPES}

#: Types agency services accept; the rest are appended by Safeguard itself.
INGEST_TYPES: frozenset[str] = frozenset(t.name for t in _TYPES if t.posters)


def may_post(agency: Agency, type_name: str) -> bool:
    entry = CATALOG.get(type_name)
    return entry is not None and agency in entry.posters
