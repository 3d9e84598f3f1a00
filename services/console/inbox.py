"""The duty manager's inbox: alerts that concern their own agency, by status, and
each alert with acknowledge (a note) and resolve (a reason) forms.

It calls the notifier's own service (``Notifier.alerts``, ``acknowledge``,
``resolve_finding``), so a console action is the same fact as an API one.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from events import SYSTEM_AGENCY
from services.console.scope import may_see
from services.console.sessions import Session
from services.console.web import FormDep, Refused, SessionDep, audit_reads, render
from services.notifier.audit import resolved_event_id
from services.notifier.domain.alerts import Alert, AlertStatus, event_id_for
from services.notifier.errors import AlertNotFound, FindingAlreadyResolved, FindingNotFound
from services.notifier.ports import AlertQuery
from services.notifier.service import Notifier

Tab = Literal["open", "acknowledged", "escalated", "failed"]
TABS: dict[str, tuple[AlertStatus, ...]] = {
    "open": ("pending", "delivered"),
    "acknowledged": ("acknowledged",),
    "escalated": ("escalated",),
    "failed": ("failed",),
}
PAGE_SIZE = 25
MAX_TEXT = 10_000


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    number: int
    pages: int
    total: int


def paginate(items: list[Any], number: int) -> Page:
    """A page of a list already in memory."""
    window = page_window(number, len(items))
    return window.of(items[window.offset : window.offset + PAGE_SIZE])


@dataclass(frozen=True, slots=True)
class PageWindow:
    number: int
    """The page shown: the one asked for, kept within the pages there are."""
    offset: int
    total: int

    def of(self, items: list[Any]) -> Page:
        return Page(items, self.number, max(1, -(-self.total // PAGE_SIZE)), self.total)


def page_window(number: int, total: int) -> PageWindow:
    """Where page ``number`` of a list of ``total`` items starts."""
    number = min(max(number, 1), max(1, -(-total // PAGE_SIZE)))
    return PageWindow(number, (number - 1) * PAGE_SIZE, total)


def inbox_router() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/console/inbox", inbox, methods=["GET"])
    router.add_api_route("/console/alerts/{alert_id}", alert_page, methods=["GET"])
    router.add_api_route("/console/alerts/{alert_id}/ack", acknowledge, methods=["POST"])
    router.add_api_route("/console/alerts/{alert_id}/resolve", resolve, methods=["POST"])
    return router


def _duty(session: Session) -> None:
    if session.principal.role not in ("duty_manager", "admin"):
        raise Refused("The inbox is for duty managers; reviewers start from the case list.")


def _notifier(request: Request) -> Notifier:
    notifier: Notifier | None = getattr(request.app.state, "notifier", None)
    if notifier is None:
        raise Refused("Alerts are served by the notifier, not by this service.", 503)
    return notifier


async def inbox(
    request: Request, session: SessionDep, tab: Tab = "open", page: int = 1
) -> Response:
    _duty(session)
    notifier = _notifier(request)
    query = AlertQuery(TABS[tab], concerning=session.principal.scoped_agency)
    window = page_window(page, await notifier.count_alerts(query))
    shown = window.of(await notifier.alert_page(query, PAGE_SIZE, window.offset))
    await audit_reads(request, session, [a.alert.case_id for a in shown.items])
    return render(
        request, "inbox.html", session, tab=tab, tabs=list(TABS), page=shown, query=f"tab={tab}&"
    )


async def _visible(request: Request, session: Session, alert_id: str) -> Alert:
    _duty(session)
    try:
        alert = await _notifier(request).alert(alert_id)
    except AlertNotFound as e:
        raise Refused("There is no such alert.", 404) from e
    if not may_see(session.principal, alert.alert.finding):
        raise Refused("This alert concerns another agency.")
    return alert


async def alert_page(request: Request, session: SessionDep, alert_id: str) -> Response:
    alert = await _visible(request, session, alert_id)
    await audit_reads(request, session, [alert.alert.case_id])
    return render(
        request,
        "alert.html",
        session,
        alert=alert,
        finding=alert.alert.finding,
        ack=await _recorded(request, event_id_for(alert.alert_id, "ack")),
        resolution=await _recorded(request, resolved_event_id(alert.alert.finding_id)),
    )


async def _recorded(request: Request, event_id: str) -> Mapping[str, Any] | None:
    """The ack note and the resolution live in the audit events the notifier
    appended (``alert.acknowledged``, ``finding.resolved``), not in the outbox."""
    runtime = getattr(request.app.state, "runtime", None)
    event = None if runtime is None else await runtime.store.get(event_id)
    return None if event is None else event.data


async def acknowledge(
    request: Request, session: SessionDep, form: FormDep, alert_id: str
) -> Response:
    alert = await _visible(request, session, alert_id)
    note = form.get("note", "").strip()
    if len(note) > MAX_TEXT:
        raise Refused(f"The note is over {MAX_TEXT:,} characters; nothing was recorded.", 422)
    await _notifier(request).acknowledge(alert.alert_id, by=_name(session), note=note or None)
    return RedirectResponse(f"/console/alerts/{alert.alert_id}", status_code=303)


async def resolve(request: Request, session: SessionDep, form: FormDep, alert_id: str) -> Response:
    alert = await _visible(request, session, alert_id)
    reason = form.get("reason", "").strip()
    if not reason or len(reason) > MAX_TEXT:
        raise Refused("Give a reason (up to 10,000 characters) to resolve a finding.", 422)
    who = session.principal
    try:
        await _notifier(request).resolve_finding(
            alert.alert.finding_id,
            by=_name(session),
            agency=str(who.agency) if who.agency else SYSTEM_AGENCY,
            reason=reason,
        )
    except FindingNotFound as e:
        raise Refused("That finding has not reached the notifier.", 404) from e
    except FindingAlreadyResolved as e:
        raise Refused("That finding was already resolved with another reason.", 409) from e
    return RedirectResponse(f"/console/alerts/{alert.alert_id}", status_code=303)


def _name(session: Session) -> str:
    who = session.principal
    return who.name or f"{who.role}:{who.key_id}"
