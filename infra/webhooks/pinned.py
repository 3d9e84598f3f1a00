"""``PinnedTransport``: connect only to addresses the egress rule allows, and only to those.

The URL's host is resolved here, every address it resolves to is checked
(``infra.webhooks.egress``), and the socket is opened to an address that passed:
never after a second lookup, so a DNS answer that changes between check and
connect (rebinding) cannot reach a private address. TLS is still verified
against the URL's host name: httpcore hands that name to ``start_tls`` whatever
address the socket reached.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Protocol

import httpcore
import httpx

from infra.webhooks.egress import address_refusal


class DestinationRefused(httpcore.ConnectError):
    """The host resolved to an address alerts may not go to; nothing was connected."""


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to (textual IPs); OSError if none."""
        ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), off the event loop."""

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PinnedBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self, resolver: Resolver | None = None, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._resolver = resolver or SystemResolver()
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Check every address first; then try the allowed ones in order."""
        addresses = await self._checked(host, port, timeout)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                failure = e
        assert failure is not None
        raise failure

    async def _checked(self, host: str, port: int, seconds: float | None) -> list[str]:
        try:
            addresses = await asyncio.wait_for(self._resolver.resolve(host, port), seconds)
        except TimeoutError as e:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from e
        except OSError as e:
            raise httpcore.ConnectError(f"cannot resolve {host}: {e}") from e
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolved to no address")
        for address in addresses:
            reason = address_refusal(ipaddress.ip_address(address))
            if reason is not None:
                raise DestinationRefused(f"destination address {address} is {reason}")
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationRefused("a unix socket is not a webhook destination")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request mapping, errors, TLS) over ``PinnedBackend``.

    httpx 0.28 takes no ``network_backend`` (encode/httpx#3749 would add it), so
    the connection pool it built is replaced by one that uses the backend. No
    proxy from the environment: a proxy would resolve the host itself.
    """

    def __init__(self, *, limits: httpx.Limits, resolver: Resolver | None = None) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(resolver),
        )
