"""The agencies that post to Safeguard.

Adding an agency is one line here plus a credential in config; its service is
built by the shared ingest factory.
"""

from enum import StrEnum


class Agency(StrEnum):
    POLICE = "police"
    EDT = "edt"  # children's social care, out of hours (Emergency Duty Team)
    HEALTH = "health"
    EDUCATION = "education"  # schools and their designated safeguarding leads
    CHILDREN_SOCIAL_CARE = "children_social_care"  # children's social care day teams


#: Agency recorded on events that Safeguard itself appends (alert audit trail).
SYSTEM_AGENCY = "safeguard"

ALL_AGENCIES: frozenset[Agency] = frozenset(Agency)
