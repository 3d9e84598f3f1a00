"""Which alerts a duty manager's console shows: those that concern their agency.

One rule, read from the finding's own fields: the agencies it names as concerned,
or the agency something should have been passed to. An admin (no agency) sees all.
"""

from collections.abc import Mapping
from typing import Any

from services.http.auth import Principal


def concerns(finding: Mapping[str, Any], agency: str) -> bool:
    """Does this finding concern ``agency``?"""
    return agency in (finding.get("concerns_agencies") or ()) or finding.get("to_agency") == agency


def may_see(principal: Principal, finding: Mapping[str, Any]) -> bool:
    if principal.role == "admin":
        return True
    return principal.agency is not None and concerns(finding, str(principal.agency))
