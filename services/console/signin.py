"""Sign-in and sign-out. The key is posted once, checked, and forgotten: from then
on the browser holds only the session cookie (HttpOnly, SameSite=Strict)."""

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.console.authn import SignInRefused
from services.console.web import (
    COOKIE,
    SIGN_IN_COOKIE,
    FormDep,
    Refused,
    SessionDep,
    check_origin,
    console_of,
    render,
)


def sign_in_router() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/console", home, methods=["GET"])
    router.add_api_route("/console/sign-in", sign_in_page, methods=["GET"])
    router.add_api_route("/console/sign-in", sign_in, methods=["POST"])
    router.add_api_route("/console/sign-out", sign_out, methods=["POST"])
    return router


async def home(session: SessionDep) -> Response:
    start = "inbox" if session.principal.role == "duty_manager" else "cases"
    return RedirectResponse(f"/console/{start}", status_code=303)


async def sign_in_page(request: Request, next: str = "/console", error: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "sign_in.html",
        None,
        status=401 if error else 200,
        token=token,
        next=_local(next),
        error=error,
        method=console_of(request).authenticator,
    )
    _set_cookie(request, response, SIGN_IN_COOKIE, token, max_age=1800)
    return response


async def sign_in(request: Request) -> Response:
    check_origin(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(form.get("csrf_token", ""), expected):
        raise Refused("The sign-in form expired; please try again.")
    console = console_of(request)
    try:
        principal = await console.authenticator.finish(request, form)
    except SignInRefused as e:
        return await sign_in_page(request, next=form.get("next", "/console"), error=str(e))
    session_id, _ = console.sessions.create(principal)
    response = RedirectResponse(_local(form.get("next", "/console")), status_code=303)
    _set_cookie(request, response, COOKIE, session_id, max_age=console.max_age)
    response.delete_cookie(SIGN_IN_COOKIE, path="/console")
    return response


async def sign_out(request: Request, session: SessionDep, form: FormDep) -> Response:
    session_id = request.cookies.get(COOKIE, "")
    console_of(request).sessions.delete(session_id)
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/", secure=console_of(request).secure_cookie)
    return response


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/" if name == COOKIE else "/console",
        secure=console_of(request).secure_cookie,
        httponly=True,
        samesite="strict",
    )


def _local(target: str) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if not target.startswith("/console") or target.startswith("//") or "\\" in target:
        return "/console"
    return target
