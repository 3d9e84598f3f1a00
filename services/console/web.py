"""The console's plumbing: its state on the app, the session and CSRF checks every
page goes through, the read audit, and the templates (autoescaped).

No page answers without a live session: a browser is sent to sign in (303), and
every POST must carry the session's CSRF token and, when the browser says where
the form came from, this site's Origin.
"""

import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from infra.clock import Clock, SystemClock
from infra.config import Settings
from infra.config.notifier import is_loopback
from services.console.authn import KeyAuthenticator, SessionAuthenticator
from services.console.sessions import Session, SessionStore, SQLiteSessionStore
from services.http.audit import CaseReads, get_access_audit
from services.projection.domain.rule_titles import rule_title
from services.projection.replay.view import agency_name, finding_status, fmt_time, when

HERE = Path(__file__).parent
COOKIE = "safeguard_session"
SIGN_IN_COOKIE = "safeguard_sign_in"
"""Double-submit token of the sign-in form, which comes before any session."""


class NeedsSignIn(Exception):
    """No live session: the browser goes to the sign-in page and comes back."""


class Refused(Exception):
    """A page the session may not have (403), or a form without a valid CSRF token."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Console:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    authenticator: SessionAuthenticator = field(default_factory=KeyAuthenticator)
    _sessions: SessionStore | None = None

    @property
    def sessions(self) -> SessionStore:
        """Opened at first use (nothing at import or app build), closed at shutdown."""
        if self._sessions is None:
            console = self.settings.console
            path = console.sessions_path or self.settings.data_dir / "console-sessions.db"
            self._sessions = SQLiteSessionStore(
                path,
                self.clock,
                idle=timedelta(minutes=console.idle_minutes),
                lifetime=timedelta(hours=console.lifetime_hours),
            )
        return self._sessions

    def close(self) -> None:
        if self._sessions is not None:
            self._sessions.close()
            self._sessions = None

    @property
    def secure_cookie(self) -> bool:
        mode = self.settings.console.secure_cookie
        if mode != "auto":
            return mode == "always"
        if self.settings.public_url:
            return self.settings.public_url.startswith("https://")
        return is_loopback(self.settings.host)

    @property
    def max_age(self) -> int:
        return int(self.settings.console.lifetime_hours * 3600)


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


async def current_session(request: Request) -> Session:
    session_id = request.cookies.get(COOKIE)
    session = console_of(request).sessions.get(session_id) if session_id else None
    if session is None:
        raise NeedsSignIn()
    return session


SessionDep = Annotated[Session, Depends(current_session)]


def check_origin(request: Request) -> None:
    """A browser names the page a form came from; it must be this site."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    allowed = {_origin(str(request.base_url))}
    public = console_of(request).settings.public_url
    if public:
        allowed.add(_origin(public))
    if origin.rstrip("/") not in allowed:
        raise Refused("This form was sent from another site, so nothing was changed.")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def checked_form(request: Request, session: SessionDep) -> dict[str, str]:
    """The posted fields, once Origin and CSRF token check out."""
    check_origin(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not hmac.compare_digest(form.get("csrf_token", ""), session.csrf):
        raise Refused(
            "This form has expired or did not come from the console; nothing was changed."
        )
    return form


FormDep = Annotated[dict[str, str], Depends(checked_form)]


async def audit_reads(request: Request, session: Session, case_ids: Iterable[str | None]) -> None:
    """A page's read goes in the audit once, with every case it shows, as an API
    read would (a page of 25 alerts is one record, not one per case)."""
    reads = CaseReads(get_access_audit(request), session.principal, request)
    await reads.record(case_id=None, case_ids=[c for c in case_ids if c is not None])


@lru_cache(maxsize=16384)
def _when(value: str | datetime | None) -> str:
    """A time as pages show it. Remembered: a case page shows thousands, the same
    ones at every visit, and formatting each in Europe/London is most of its cost."""
    return fmt_time(when(value) if isinstance(value, str) else value)


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = _when
    env.filters["agency"] = agency_name
    env.filters["status"] = finding_status
    env.filters["rule_title"] = rule_title
    env.filters["q"] = lambda v: quote(str(v), safe="")
    return Jinja2Templates(env=env)


TEMPLATES = _templates()


def render(
    request: Request, name: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    context |= {"who": None if session is None else session.principal, "session": session}
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/sign-in?next={quote(target, safe='')}", status_code=303)
