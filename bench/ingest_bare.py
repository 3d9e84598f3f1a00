"""Baseline (a) for ``bench/ingest.py``: a bare FastAPI endpoint that decodes and
validates the same envelope model as Safeguard, then stores nothing."""

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from events import canonical, parse_submission


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/police/events")
    async def post_events(request: Request) -> Response:
        envelopes = parse_submission(orjson.loads(await request.body()))
        receipts: list[dict[str, Any]] = [
            {"event_id": canonical(e)["event_id"], "position": 0} for e in envelopes
        ]
        return Response(orjson.dumps(receipts[0]), 201, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
