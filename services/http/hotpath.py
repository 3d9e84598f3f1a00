"""Hot routes: served ahead of FastAPI's routing and exception middleware.

An agency system calls ``POST /{agency}/events`` for every event, and there
FastAPI's per-request machinery (its middleware stack, the router's matching
over every route, the request/response wrapper) costs about twice what uvicorn
itself does. A hot route is an ordinary ``(Request) -> Response`` endpoint —
the same function its FastAPI route serves, so there is one implementation and
one OpenAPI description — that this middleware calls directly for an exact
method and path. It sits inside the body-size limit and the server-error
middleware, and renders what the endpoint raises as every route does
(``problems.problem_for``).
"""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from services.http.denials import DENIALS, record_denial
from services.http.problems import problem_for

Endpoint = Callable[[Request], Awaitable[Response]]
HotRoutes = dict[tuple[str, str], Endpoint]
"""(method, exact path) to endpoint."""


class HotPathMiddleware:
    def __init__(self, app: ASGIApp, *, routes: HotRoutes) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (
            self.routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        )
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except Exception as exc:  # as the exception handlers would answer it
            problem = problem_for(exc, scope["path"])
            if isinstance(exc, DENIALS):
                await record_denial(request, problem)
            response = problem.response(scope["path"])
        await response(scope, receive, send)


def serve_hot(app: FastAPI, method: str, path: str, endpoint: Endpoint) -> None:
    """Serve ``method path`` by ``endpoint`` ahead of routing (see the module)."""
    routes: HotRoutes = app.state.hot_routes
    routes[(method, path)] = endpoint
