"""``HttpxWebhookSender``: POST one signed body, report what happened, never raise.

Transport errors and timeouts are outcomes (retryable), not exceptions: the
delivery policy, not the adapter, decides what happens next.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

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
    ) -> None:
        """Redirects are not followed: a 3xx is the receiver's misconfiguration,
        and following it could carry a signed alert somewhere unintended."""
        self._owns_client = client is None
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        self._client = client or httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, limits=limits
        )
        self._timeout = timeout

    async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> SendOutcome:
        request_headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        try:
            response = await self._client.post(
                url, content=body, headers={**request_headers, **headers}, timeout=self._timeout
            )
        except httpx.TimeoutException as e:
            return SendOutcome(None, error=f"timeout: {type(e).__name__}")
        except httpx.TransportError as e:
            return SendOutcome(None, error=f"{type(e).__name__}: {e}"[:500])
        return SendOutcome(
            response.status_code,
            retry_after=response.headers.get("retry-after"),
            error=None if response.is_success else f"HTTP {response.status_code}",
        )

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()
