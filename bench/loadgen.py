"""A minimal keep-alive HTTP/1.1 load generator on asyncio streams.

httpx's ``AsyncClient`` manages a few hundred requests/s at concurrency 32 on this
kind of machine (its pool, not the server, is the limit), so benchmarks that used
it measured the client. This speaks just enough HTTP/1.1 — one connection per
worker, ``Content-Length`` bodies — to keep the server the bottleneck.
"""

import asyncio
import time
from urllib.parse import urlsplit


class HTTPError(Exception):
    pass


Call = tuple[str, str, bytes | None]
"""(method, path, body)."""


async def post_all(
    url: str,
    path: str,
    payloads: list[bytes],
    *,
    concurrency: int,
    headers: dict[str, str],
) -> tuple[list[float], float, float]:
    """POST every payload to ``path``; see ``request_all``."""
    calls: list[Call] = [("POST", path, body) for body in payloads]
    return await request_all(url, calls, concurrency=concurrency, headers=headers)


async def request_all(
    url: str,
    calls: list[Call],
    *,
    concurrency: int,
    headers: dict[str, str],
    ok: tuple[int, ...] = (200, 201),
) -> tuple[list[float], float, float]:
    """Make every call over ``concurrency`` keep-alive connections; returns the
    latencies (seconds) and the wall-clock start and end of the run."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    queue = list(reversed(calls))
    latencies: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while queue:
                method, path, body = queue.pop()
                payload = body or b""
                started = time.perf_counter()
                writer.write(
                    f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{head}"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                status, _ = await _response(reader)
                latencies.append(time.perf_counter() - started)
                if status not in ok:
                    raise HTTPError(f"{method} {path}: HTTP {status}")
        finally:
            writer.close()

    began = time.time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, began, time.time()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)
