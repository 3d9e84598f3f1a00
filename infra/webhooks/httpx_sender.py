"""``HttpxWebhookSender``: POST one signed body, report what happened, never raise.

Transport errors and timeouts are outcomes (retryable), not exceptions: the
delivery policy, not the adapter, decides what happens next. A destination the
egress rule refuses (``infra.webhooks.pinned``) is such an outcome too.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from infra.webhooks.pinned import DestinationRefused, PinnedTransport, Resolver

USER_AGENT = "Safeguard-Notifier/1"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    status_code: int | None
    """None when no HTTP response arrived (refused, reset, timed out)."""
    retry_after: str | None = None
    error: str | None = None


class HttpxWebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        timeout: float = 10.0,
        max_connections: int = 100,
        resolver: Resolver | None = None,
    ) -> None:
        """Redirects are not followed: a 3xx is the receiver's misconfiguration,
        and following it could carry a signed alert somewhere unintended.

        Two clients: public destinations go through ``PinnedTransport`` (every
        resolved address checked, the connection pinned to one that passed);
        subscriptions with ``allow_private`` use a plain one. A ``client`` passed
        in serves both and stays the caller's.
        """
        self._owns_client = client is None
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._public = client or httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            transport=PinnedTransport(limits=limits, resolver=resolver),
        )
        self._private = client or httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, limits=limits
        )
        self._timeout = timeout

    async def send(
        self, url: str, body: bytes, headers: Mapping[str, str], *, allow_private: bool = False
    ) -> SendOutcome:
        request_headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        client = self._private if allow_private else self._public
        try:
            response = await client.post(
                url, content=body, headers={**request_headers, **headers}, timeout=self._timeout
            )
        except httpx.TimeoutException as e:
            return SendOutcome(None, error=f"timeout: {type(e).__name__}")
        except httpx.TransportError as e:
            if isinstance(e.__cause__, DestinationRefused):
                return SendOutcome(None, error=f"refused: {e.__cause__}")
            return SendOutcome(None, error=f"{type(e).__name__}: {e}"[:500])
        return SendOutcome(
            response.status_code,
            retry_after=response.headers.get("retry-after"),
            error=None if response.is_success else f"HTTP {response.status_code}",
        )

    async def close(self) -> None:
        if self._owns_client:
            await self._public.aclose()
            await self._private.aclose()
