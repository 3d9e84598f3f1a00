"""``DeliveryLease``: this notifier's hold on its outbox's delivery lease.

Several notifiers may share one outbox (a standby beside the active one); only
the holder of the lease claims due alerts and escalations. The holder renews
every third of the ttl; the moment a renewal fails or is refused it stops
starting sends, and the outbox refuses its claims and results once another
notifier has the next token.
"""

import logging
import os
import secrets
import socket
import time
from datetime import timedelta

from infra.clock import Clock
from services.notifier.ports import Outbox

log = logging.getLogger("safeguard.notifier")


def lease_owner(name: str | None = None) -> str:
    """Unique per process and per notifier built: ``name`` (default the host
    name), the process id and a random suffix."""
    return f"{name or socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class DeliveryLease:
    def __init__(self, outbox: Outbox, clock: Clock, owner: str, ttl: timedelta) -> None:
        self._outbox, self._clock = outbox, clock
        self.owner, self.ttl = owner, ttl
        self.token: int | None = None
        """Set while this notifier holds the lease: the fencing token of its writes."""
        self._next_renewal = 0.0

    @property
    def renew_every(self) -> float:
        return self.ttl.total_seconds() / 3

    def renewal_in(self) -> timedelta:
        """Time until the next renewal falls due; the loop wakes for it."""
        return timedelta(seconds=max(self._next_renewal - time.monotonic(), 0.0))

    async def hold(self) -> int | None:
        """Renew (or try to take) the lease if a third of the ttl has passed."""
        if time.monotonic() >= self._next_renewal:
            await self.renew()
        return self.token

    async def renew(self) -> int | None:
        self._next_renewal = time.monotonic() + self.renew_every
        held = self.token
        self.token = None  # a renewal that raises leaves us not sending
        token = await self._outbox.acquire_or_renew(self.owner, self.ttl, self._clock.now())
        self.token = token
        if token != held:
            self._announce(held, token)
        return token

    def lost(self, token: int) -> None:
        """The outbox refused a write under ``token``: another notifier has it."""
        if self.token == token:
            self.token = None
            self._announce(token, None)

    async def release(self) -> None:
        if self.token is not None:
            self.token = None
            await self._outbox.release_lease(self.owner)

    def _announce(self, held: int | None, token: int | None) -> None:
        if token is not None:
            log.info("delivery lease taken by %s (token %d): sending", self.owner, token)
        elif held is not None:
            log.warning("delivery lease lost by %s (token %d): standing by", self.owner, held)
