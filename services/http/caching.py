"""``Cache-Control: no-store`` on every routed response.

Pictures, findings, alerts, the audit and replay documents are case data about
children: no browser, proxy or CDN may keep a copy. The header goes on every
response a route or an error handler sends, so a new route cannot forget it.
The hot ingest POST (``services.http.hotpath``) is served outside this
middleware and costs nothing extra: a POST response is never stored without
explicit freshness (RFC 9110, section 9.3.3), which it has not.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = (b"cache-control", b"no-store")


class NoStoreMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0] != NO_STORE[0]]
                message["headers"] = [*headers, NO_STORE]
            await send(message)

        await self.app(scope, receive, send_no_store)
