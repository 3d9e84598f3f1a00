"""Request limits: body size (checked while the body streams in) and JSON depth.

The size limit is ASGI middleware so it guards every route of every service,
and a body is refused with 413 as soon as it crosses the limit — from its
``Content-Length`` before a byte is read, or mid-stream when it is chunked.
"""

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.http.problems import PayloadTooLarge, Unprocessable


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            response = self._too_large().response(scope.get("path", ""))
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise self._too_large()
            return message

        return counted

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the request body exceeds {self.max_bytes} bytes")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def parse_json(body: bytes, *, max_depth: int) -> Any:
    """Decode a request body; malformed or too deeply nested JSON is a 422."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Unprocessable(
            "the body is not valid JSON; nothing was stored",
            errors=[{"loc": ["body"], "msg": str(exc).split(":")[0], "type": "json_invalid"}],
        ) from None
    if _too_deep(value, max_depth):
        raise Unprocessable(
            f"the JSON is nested deeper than {max_depth} levels; nothing was stored",
            errors=[{"loc": ["body"], "msg": f"deeper than {max_depth}", "type": "json_depth"}],
        )
    return value


def _too_deep(value: Any, max_depth: int) -> bool:
    """Iterative walk over containers only, so a hostile body cannot recurse us."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False
