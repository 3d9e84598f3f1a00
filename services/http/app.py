"""The base FastAPI app every service starts from: problem handlers, limits,
auth state and ``/healthz``. Services add their routers and a lifespan."""

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from infra.collector import collect_young_less_often
from infra.config import Settings
from infra.metrics import Metrics, metrics_router
from services.http.audit import audit_router, with_access_audit
from services.http.auth import KeyRing
from services.http.caching import NoStoreMiddleware
from services.http.denials import install_denial_audit
from services.http.hotpath import HotPathMiddleware
from services.http.limits import BodyLimitMiddleware
from services.http.offline_docs import install_offline_docs
from services.http.problem_docs import PROBLEM_RESPONSES
from services.http.problems import install_problem_handlers
from services.http.ratelimit import FailedAuthLimiter
from services.http.reload import config_file_of, with_key_reload

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]

NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
"""Safeguard reports through ``/metrics`` (Prometheus) and JSON logs, and configures
no OpenTelemetry provider; with FastAPI's hooks on, every request still asked the
global providers whether one had appeared (~10 us a request)."""


def create_service_app(
    settings: Settings, *, title: str, description: str, lifespan: Lifespan
) -> FastAPI:
    """Checks the credentials now, so a bad config stops start-up at once.

    Every service also gets the read audit (``GET /audit``), the failed-auth
    limit and key rotation from its config file (see ``docs/security.md``)."""
    reload_from = config_file_of(settings.credentials)
    lifespan = _frozen_after_startup(
        with_key_reload(reload_from, with_access_audit(settings, lifespan))
    )
    app = FastAPI(
        title=title,
        description=description,
        version="1",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
        telemetry=NO_OPENTELEMETRY,
        docs_url=None,
        redoc_url=None,
    )
    install_offline_docs(app)
    app.state.keyring = KeyRing(settings.credentials, environment=settings.environment)
    app.state.metrics = Metrics()
    app.include_router(metrics_router(app.state.metrics))
    app.state.auth_limiter = FailedAuthLimiter(settings.trust.auth_failures_per_minute)
    app.state.access_audit = None
    app.state.runtime = None
    install_problem_handlers(app)
    install_denial_audit(app)
    app.state.hot_routes = {}
    app.add_middleware(NoStoreMiddleware)  # inside the hot path: ingest POSTs skip it
    app.add_middleware(HotPathMiddleware, routes=app.state.hot_routes)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.limits.max_body_bytes)
    app.add_api_route("/healthz", _healthz, methods=["GET"], tags=["health"])
    app.include_router(audit_router())
    return app


def _frozen_after_startup(lifespan: Lifespan) -> Lifespan:
    """Move what start-up built (a folded case history can be millions of objects)
    out of the cyclic collector's reach: it lives as long as the process, and
    re-scanning it on every full collection stalls request handling. And collect
    the young generation less often (``infra.collector``)."""

    @asynccontextmanager
    async def wrapped(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            gc.freeze()
            thresholds = collect_young_less_often()
            try:
                yield state
            finally:
                gc.set_threshold(*thresholds)
                gc.unfreeze()

    return wrapped


async def _healthz() -> dict[str, str]:
    """Liveness: the process is up and serving HTTP."""
    return {"status": "ok"}
