"""Bearer-key authentication and role checks, shared by every service.

Keys are configured as SHA-256 digests (``infra.config.credentials``); a
presented key is hashed and its digest looked up, so neither timing nor logs
reveal a key (the lookup compares digests the caller cannot choose). Routes ask
for a ``Principal`` through the ``Annotated`` aliases below::

    @router.get("/cases/{case_id}")
    async def picture(case_id: str, who: ReaderPrincipal) -> ...

or, for another role set, ``Annotated[Principal, Depends(require_roles("admin"))]``.
"""

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from events.agencies import Agency
from infra.config.credentials import Credential, Environment, Role
from services.http.keycheck import InvalidCredentials, check_credentials
from services.http.problems import Forbidden, Unauthorized
from services.http.ratelimit import note_failed_auth, refuse_if_limited

__all__ = ["InvalidCredentials", "check_credentials"]

READER_ROLES: tuple[Role, ...] = ("reviewer", "duty_manager", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    agency: Agency | None
    name: str | None
    key_id: str
    """A short, non-secret handle on the key (digest prefix), for audit logs."""
    can_import: bool = False
    """May import history whose deadlines may still be running (``can_import``)."""

    @property
    def scoped_agency(self) -> Agency | None:
        """The agency a duty manager is confined to; None for roles that are not
        confined (admins act on everything, reviewers only read)."""
        return self.agency if self.role == "duty_manager" else None


class KeyRing:
    """The configured credentials, as digests; built once per process."""

    def __init__(
        self, credentials: Sequence[Credential], *, environment: Environment = "production"
    ) -> None:
        check_credentials(credentials, environment)
        self.environment = environment
        """Kept so a reload checks new keys by the rules the process started with."""
        self._by_digest = {bytes.fromhex(c.digest): _principal(c) for c in credentials}

    def identify(self, presented: str) -> Principal | None:
        """Looks up the presented key's SHA-256, never the key: how long the lookup
        takes depends on a digest the caller cannot steer, so it tells nothing
        about any configured key."""
        return self.identify_digest(presented_digest(presented))

    def identify_digest(self, digest: bytes) -> Principal | None:
        return self._by_digest.get(digest)


def presented_digest(presented: str) -> bytes:
    return hashlib.sha256(presented.encode()).digest()


def _principal(credential: Credential) -> Principal:
    return Principal(
        role=credential.role,
        agency=credential.agency,
        name=credential.name,
        key_id=credential.digest[:12],
        can_import=credential.can_import,
    )


_bearer = HTTPBearer(auto_error=False, description="A Safeguard key from `[[credentials]]`.")


async def get_keyring(request: Request) -> KeyRing:
    """Set by the composition root; override with ``app.dependency_overrides``."""
    keyring: KeyRing = request.app.state.keyring
    return keyring


async def authenticate(
    request: Request,
    keyring: Annotated[KeyRing, Depends(get_keyring)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        refuse_if_limited(request)
        raise Unauthorized()
    return identified_by_key(request, keyring, credentials.credentials)


def bearer_principal(request: Request) -> Principal:
    """``authenticate`` as one plain call, for the ingest hot path: FastAPI's
    resolution of the three dependencies above costs more than the check itself.
    Routes using it declare ``BEARER_SECURITY`` so the OpenAPI schema still says so."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        refuse_if_limited(request)
        raise Unauthorized()
    keyring: KeyRing = request.app.state.keyring
    return identified_by_key(request, keyring, token.strip())


def identified_by_key(request: Request, keyring: KeyRing, key: str) -> Principal:
    """Refused with 429 first if this client, or this very key, failed too often."""
    digest = presented_digest(key)
    refuse_if_limited(request, digest)
    principal = keyring.identify_digest(digest)
    if principal is None:
        note_failed_auth(request, digest)
        raise Unauthorized("the bearer key is not recognised")
    return principal


BEARER_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}]
"""The OpenAPI security requirement of routes that authenticate by ``bearer_principal``."""


Authenticated = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only ``roles``; use it inside ``Depends``."""

    async def dependency(principal: Authenticated) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"this endpoint needs one of the roles: {', '.join(roles)}")
        return principal

    return dependency


def agency_principal(request: Request, agency: Agency) -> Principal:
    """Only ``agency``'s own credential: no agency may post as another. A plain
    call, not a dependency: it guards the busiest route (see ``bearer_principal``)."""
    principal = bearer_principal(request)
    if principal.role != "agency":
        raise Forbidden(f"only a {agency} agency key may post to the {agency} service")
    if principal.agency != agency:
        raise Forbidden(f"a {principal.agency} key may not use the {agency} service")
    return principal


ReaderPrincipal = Annotated[Principal, Depends(require_roles(*READER_ROLES))]
AdminPrincipal = Annotated[Principal, Depends(require_roles("admin"))]
