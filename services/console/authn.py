"""How a person proves who they are at sign-in. The console keeps its own session
afterwards whatever the method, so adding one is a new ``SessionAuthenticator``.

Today: ``KeyAuthenticator`` — the person pastes their Safeguard key once; it is
checked against the same key ring as the API (and counts toward the failed-auth
limit) and is never stored. Planned: an OIDC authenticator (Entra ID) whose
``start`` redirects to the identity provider and whose ``finish`` exchanges the code
and maps group claims to a role and agency (see docs/console.md).
"""

from collections.abc import Mapping
from typing import Protocol

from fastapi import Request

from services.http.auth import Principal, identified_by_key
from services.http.problems import Unauthorized

CONSOLE_ROLES = ("duty_manager", "reviewer", "admin")


class SignInRefused(Exception):
    """Shown on the sign-in page; says nothing about which keys exist."""


class SessionAuthenticator(Protocol):
    name: str
    """Shown on the sign-in page ("key", "Microsoft Entra ID")."""
    asks_for_key: bool
    """True: the sign-in page shows a key field. False: a button that calls ``start``."""

    def start_url(self, request: Request) -> str | None:
        """Where the sign-in button sends the browser (an identity provider), or None."""
        ...

    async def finish(self, request: Request, form: Mapping[str, str]) -> Principal:
        """Who signed in, from the posted form or the provider's callback;
        ``SignInRefused`` if nobody, or someone the console is not for."""
        ...


class KeyAuthenticator:
    name, asks_for_key = "Safeguard key", True

    def start_url(self, request: Request) -> str | None:
        return None

    async def finish(self, request: Request, form: Mapping[str, str]) -> Principal:
        try:  # rate-limited and counted like a bearer key: per client and per key
            principal = identified_by_key(
                request, request.app.state.keyring, form.get("key", "").strip()
            )
        except Unauthorized as e:
            raise SignInRefused("That key is not recognised.") from e
        if principal.role not in CONSOLE_ROLES:
            raise SignInRefused(
                "The console is for duty managers, reviewers and admins; "
                "an agency system key can only post events."
            )
        assert isinstance(principal, Principal)
        return principal
