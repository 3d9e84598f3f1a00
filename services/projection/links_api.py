"""Who is linked to whom, over HTTP: probable matches awaiting a decision, and a
search for a person's cases by identifier.

Both are for the people who decide who a child is: duty managers of EDT and
children's social care, and admins. Every call is audited, with each case its
answer names (``AuditedRoute``). Answers name cases, never identifiers: a search
says which cases hold a person, not what else is recorded about them
(docs/data-protection.md).
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from events.agencies import Agency
from events.identifiers import LocalId, NhsNumber
from services.http.audit import AuditedRoute, defer_read
from services.http.auth import Authenticated, Principal
from services.http.problems import Forbidden, Unprocessable
from services.projection.domain.state import CaseState

IDENTITY_AGENCIES = frozenset({Agency.EDT, Agency.CHILDREN_SOCIAL_CARE})
"""Whose duty managers may search for people and decide matches."""


def linked(
    view: Callable[[CaseState, datetime], dict[str, Any]],
) -> Callable[[CaseState, datetime], dict[str, Any]]:
    """``view``, also naming every case joined in the one shown."""

    def with_members(state: CaseState, at: datetime) -> dict[str, Any]:
        document = view(state, at)
        document["linked_cases"] = cases(sorted({state.case_id, *state.members}))
        return document

    return with_members


async def identity_principal(request: Request, principal: Authenticated) -> Principal:
    """An admin, or a duty manager of EDT or children's social care; the call is audited."""
    allowed = principal.role == "admin" or (
        principal.role == "duty_manager" and principal.agency in IDENTITY_AGENCIES
    )
    if not allowed:
        raise Forbidden(
            "only admins and duty managers of edt or children_social_care may search"
            " for people or see proposed links"
        )
    await defer_read(request, principal)
    return principal


IdentityPrincipal = Annotated[Principal, Depends(identity_principal)]


def cases(case_ids: list[str]) -> list[dict[str, str]]:
    """Case ids as ``{"case_id": ...}``, so the read audit records each one disclosed."""
    return [{"case_id": case_id} for case_id in case_ids]


def links_router() -> APIRouter:
    from services.projection.api import Projection

    router = APIRouter(tags=["identity"], route_class=AuditedRoute)

    async def proposals(projection: Projection, who: IdentityPrincipal) -> dict[str, Any]:
        """Probable matches (name, date of birth and postcode; or proposed by a
        professional) not yet confirmed or rejected: none is merged until a
        ``link.confirmed`` is posted."""
        linker = projection.links.linker
        found = linker.proposals()
        joint = {case: linker.joint_id(case) for p in found for case in p.cases}
        return {"proposals": [p.to_json(joint) for p in found]}

    async def people_search(
        projection: Projection,
        who: IdentityPrincipal,
        nhs_number: Annotated[NhsNumber | None, Query()] = None,
        la_person_id: Annotated[LocalId | None, Query()] = None,
        police_person_id: Annotated[LocalId | None, Query()] = None,
        name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        date_of_birth: Annotated[date | None, Query()] = None,
    ) -> dict[str, Any]:
        """The joint cases holding a person, by one strong identifier, or by name
        and date of birth together. Names cases and which identifier matched only."""
        linker = projection.links.linker
        strong = {
            "nhs_number": nhs_number,
            "la_person_id": la_person_id,
            "police_person_id": police_person_id,
        }
        given = {kind: value for kind, value in strong.items() if value is not None}
        if (name is None) != (date_of_birth is None) or not (given or name):
            raise Unprocessable(
                "search by nhs_number, la_person_id or police_person_id, or by name"
                " and date_of_birth together",
                errors=[{"loc": ["query"], "msg": "no complete search", "type": "missing"}],
            )
        matched: dict[str, set[str]] = {}
        for kind, value in given.items():
            for case in linker.holders(kind, str(value)):
                matched.setdefault(case, set()).add(kind)
        if name is not None and date_of_birth is not None:
            for case in linker.born(name, date_of_birth.isoformat()):
                matched.setdefault(case, set()).add("name_and_date_of_birth")
        by_joint: dict[str, dict[str, Any]] = {}
        for case in sorted(matched):
            joint = linker.joint_id(case)
            entry = by_joint.setdefault(
                joint,
                {
                    "case_id": joint,
                    "linked_cases": cases(sorted(linker.members(case))),
                    "matched_on": [],
                },
            )
            entry["matched_on"] = sorted({*entry["matched_on"], *matched[case]})
        return {"people": list(by_joint.values())}

    router.add_api_route("/links/proposals", proposals, methods=["GET"])
    router.add_api_route("/people/search", people_search, methods=["GET"])
    return router
