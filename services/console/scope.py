"""Which alerts a duty manager's console shows: those that concern their agency,
by the one rule the API also scopes by (``findings.concerns``). An admin sees all."""

from collections.abc import Mapping
from typing import Any

from events.findings import concerns
from services.http.auth import Principal


def may_see(principal: Principal, finding: Mapping[str, Any]) -> bool:
    agency = principal.scoped_agency
    return agency is None or concerns(finding, agency)
