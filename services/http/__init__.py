"""HTTP plumbing every Safeguard service shares: Problem Details, auth, limits,
logging, runtime dependencies and the base app factory.

A service builds its app with ``create_service_app`` and its routes with the
``Annotated`` dependencies exported here; it never maps an error or checks a
key itself.
"""

from services.http.app import create_service_app
from services.http.auth import (
    AdminPrincipal,
    Authenticated,
    InvalidCredentials,
    KeyRing,
    Principal,
    ReaderPrincipal,
    require_roles,
)
from services.http.problems import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Problem,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
)
from services.http.runtime import ClockDep, Runtime, RuntimeDep, SettingsDep, StoreDep

__all__ = [
    "AdminPrincipal",
    "Authenticated",
    "ClockDep",
    "Conflict",
    "FieldError",
    "Forbidden",
    "InvalidCredentials",
    "KeyRing",
    "NotFound",
    "PayloadTooLarge",
    "Principal",
    "Problem",
    "ReaderPrincipal",
    "Runtime",
    "RuntimeDep",
    "ServiceUnavailable",
    "SettingsDep",
    "StoreDep",
    "Unauthorized",
    "Unprocessable",
    "create_service_app",
    "require_roles",
]
