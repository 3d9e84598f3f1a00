"""The web console: server-rendered pages for the people Safeguard serves.

Duty managers see the alerts that concern their agency and acknowledge or resolve
them; reviewers and duty managers read each case's joint picture as of any moment
and download its review document. No JavaScript is needed and nothing is fetched
from outside (see docs/console.md).

``mount_console(app, settings)`` adds it to an app whose lifespan puts the notifier
and/or the projection on ``app.state``; pages for a missing one say so.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from infra.config import Settings
from services.console.cases import cases_router
from services.console.inbox import inbox_router
from services.console.signin import sign_in_router
from services.console.web import HERE, Console, NeedsSignIn, Refused, render, to_sign_in

__all__ = ["Console", "mount_console"]


def mount_console(app: FastAPI, settings: Settings) -> Console:
    console = Console(settings)
    app.state.console = console
    for router in (sign_in_router(), inbox_router(), cases_router()):
        router.include_in_schema = False
        app.include_router(router, include_in_schema=False)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.add_exception_handler(NeedsSignIn, _needs_sign_in)
    app.add_exception_handler(Refused, _refused)
    _close_on_shutdown(app, console)
    return console


async def _needs_sign_in(request: Request, exc: Exception) -> Response:
    if request.method != "GET":
        return render(request, "error.html", None, status=401, message="Please sign in again.")
    return to_sign_in(request)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return render(request, "error.html", None, status=exc.status, message=str(exc))


def _close_on_shutdown(app: FastAPI, console: Console) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        try:
            async with inner(app) as state:
                yield state
        finally:
            console.close()

    app.router.lifespan_context = lifespan
