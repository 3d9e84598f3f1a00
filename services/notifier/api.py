"""Duty managers' endpoints: list alerts, acknowledge one, resolve a finding.

``alerts_router`` takes the auth dependency so each app chooses who may call;
the default admits duty managers and admins. A duty manager sees and acts on
only what concerns their own agency (``findings.concerns``): anything else is
left out of lists and refused with 403; admins are not confined.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from events import SYSTEM_AGENCY
from events.findings import concerns
from services.http.audit import AuditedRoute, defer_read
from services.http.auth import Principal, require_roles
from services.http.problems import Conflict, Forbidden, NotFound
from services.http.runtime import started
from services.notifier.domain.alerts import Alert, AlertStatus
from services.notifier.errors import AlertNotFound, FindingAlreadyResolved, FindingNotFound
from services.notifier.service import Notifier

AuthDependency = Callable[..., Awaitable[Principal]] | Callable[..., Principal]


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=10_000)


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=10_000)


async def notifier_from_state(request: Request) -> Notifier:
    """The notifier the app's lifespan put on ``app.state.notifier``."""
    notifier: Notifier = started(request, "notifier", "notifier")
    return notifier


def alerts_router(
    notifier: Notifier | None = None,
    auth_dependency: AuthDependency | None = None,
    admin_dependency: AuthDependency | None = None,
) -> APIRouter:
    """``notifier`` None reads it from ``app.state.notifier`` at request time."""

    async def given() -> Notifier:
        assert notifier is not None
        return notifier

    get_notifier: Callable[..., Awaitable[Notifier]] = (
        notifier_from_state if notifier is None else given
    )
    NotifierDep = Annotated[Notifier, Depends(get_notifier)]
    Caller = Annotated[
        Principal, Depends(auth_dependency or require_roles("duty_manager", "admin"))
    ]
    Admin = Annotated[Principal, Depends(admin_dependency or require_roles("admin"))]

    async def audited(request: Request, who: Caller) -> None:
        """Alerts disclose case details: every call goes in the read audit."""
        await defer_read(request, who)  # recorded with the answer's case ids

    router = APIRouter(tags=["alerts"], dependencies=[Depends(audited)], route_class=AuditedRoute)

    @router.get("/alerts")
    async def list_alerts(
        n: NotifierDep,
        who: Caller,
        status: AlertStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """Alerts, newest first; ``status`` filters (failed ones need an operator).
        A duty manager sees those about findings that concern their agency."""
        alerts = await n.alerts(status, limit, concerning=who.scoped_agency)
        return {"alerts": [a.to_json() for a in alerts]}

    @router.get("/alerts/{alert_id}")
    async def get_alert(alert_id: str, n: NotifierDep, who: Caller) -> dict[str, Any]:
        alert = await _alert(n, alert_id)
        _check_concerns(who, alert.alert.finding, f"alert {alert_id}")
        return alert.to_json()

    @router.post("/alerts/{alert_id}/ack")
    async def acknowledge(
        alert_id: str,
        n: NotifierDep,
        who: Caller,
        body: Annotated[AckRequest | None, Body()] = None,
    ) -> dict[str, Any]:
        """Record that a duty manager has the alert; stops its escalation. Another
        agency's duty manager is refused, and the escalation goes on."""
        _check_concerns(who, (await _alert(n, alert_id)).alert.finding, f"alert {alert_id}")
        try:
            alert = await n.acknowledge(alert_id, by=_name(who), note=body.note if body else None)
        except AlertNotFound as e:
            raise NotFound(f"no alert {e}") from e
        return alert.to_json()

    @router.post("/findings/{finding_id}/resolve")
    async def resolve(
        finding_id: str, body: ResolveRequest, n: NotifierDep, who: Caller
    ) -> dict[str, Any]:
        """Append ``finding.resolved`` with the duty manager's reason."""
        try:
            _check_concerns(who, await n.finding(finding_id), f"finding {finding_id}")
            event = await n.resolve_finding(
                finding_id, by=_name(who), agency=who.agency or SYSTEM_AGENCY, reason=body.reason
            )
        except FindingNotFound as e:
            raise NotFound(f"no finding {e} has reached the notifier") from e
        except FindingAlreadyResolved as e:
            raise Conflict(f"finding {e} was already resolved with another reason") from e
        return event.to_json()

    @router.post("/subscriptions/{name}/enable", status_code=204)
    async def enable(name: str, n: NotifierDep, _who: Admin) -> None:
        """Re-enable a subscription its receiver disabled with 410 Gone."""
        await n.enable_subscription(name)

    return router


async def _alert(n: Notifier, alert_id: str) -> Alert:
    try:
        return await n.alert(alert_id)
    except AlertNotFound as e:
        raise NotFound(f"no alert {e}") from e


def _check_concerns(who: Principal, finding: Mapping[str, Any], what: str) -> None:
    """403 unless ``who`` may act on ``finding``: a duty manager only on what
    concerns their own agency."""
    agency = who.scoped_agency
    if agency is not None and not concerns(finding, agency):
        involved = sorted({*finding.get("concerns_agencies", ()), finding.get("to_agency") or ""})
        raise Forbidden(
            f"{what} concerns {', '.join(a for a in involved if a)}, not {agency}:"
            f" a {agency} duty manager may act only on findings that concern {agency}"
        )


def _name(who: Principal) -> str:
    return who.name or f"{who.role}:{who.key_id}"
