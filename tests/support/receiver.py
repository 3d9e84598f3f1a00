"""A real webhook receiver on a loopback port, scriptable from tests.

A small asyncio HTTP/1.1 server (no framework) that records every request and
answers from a script: fail the next N, answer 410 or 429 with ``Retry-After``,
hold each answer a while (a slow receiver, so requests are in flight), or go
down (listener and open connections closed) and come back on the same port.
It dedupes by ``webhook-id`` the way an integrator should. Given a
``secret`` it also verifies signature and timestamp (``standardwebhooks``) and
answers 400 to a request that fails; without one it is naive and takes anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.server import free_port


async def wait_until(predicate: Callable[[], bool], within: float = 10.0, what: str = "") -> None:
    """Poll ``predicate`` until true or fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what or predicate}")
        await asyncio.sleep(0.01)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


class Receiver:
    def __init__(self, port: int | None = None, secret: str | None = None) -> None:
        self.port = port or free_port()
        self._verifier = None if secret is None else Webhook(secret)
        self.requests: list[Received] = []
        self.script: deque[Reply] = deque()
        self.default = Reply(200)
        self.hold = 0.0
        """Seconds each answer waits after the request is recorded (processed)."""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/safeguard"

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        return self

    async def stop(self) -> None:
        """Go down: refuse new connections and drop open ones."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    def fail_next(self, n: int, status: int = 503, headers: dict[str, str] | None = None) -> None:
        self.script.extend(Reply(status, headers or {}) for _ in range(n))

    @property
    def accepted(self) -> Counter[str]:
        """2xx answers per ``webhook-id``: a deduping receiver processes each once."""
        return Counter(r.webhook_id for r in self.requests if 200 <= r.status < 300)

    def for_id(self, webhook_id: str) -> list[Received]:
        return [r for r in self.requests if r.webhook_id == webhook_id]

    def _verifies(self, body: bytes, headers: dict[str, str]) -> bool:
        if self._verifier is None:
            return True
        try:
            self._verifier.verify(body, headers)
        except WebhookVerificationError:
            return False
        return True

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {
            k.strip().lower(): v.strip()
            for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        reply = Reply(400) if not self._verifies(body, headers) else None
        reply = reply or (self.script.popleft() if self.script else self.default)
        self.requests.append(Received(path, headers, body, reply.status, time.monotonic()))
        if self.hold:
            await asyncio.sleep(self.hold)
        extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
        writer.write(
            f"HTTP/1.1 {reply.status} X\r\ncontent-length: 2\r\ncontent-type: application/json"
            f"\r\n{extra}\r\n{{}}".encode()
        )
        await writer.drain()
        return True
