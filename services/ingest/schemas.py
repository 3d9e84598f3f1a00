"""``GET /schemas`` and ``GET /schemas/{type}``: public, so integrators can
validate before they hold a key."""

from typing import Any

from fastapi import APIRouter

from events import CATALOG
from events.jsonschema import event_schema
from services.http.problems import NotFound


def schemas_router() -> APIRouter:
    router = APIRouter(prefix="/schemas", tags=["schemas"])

    @router.get("", summary="Every event type, who may post it and its schema URL")
    async def index() -> dict[str, Any]:
        return {
            "types": [
                {
                    "type": name,
                    "description": entry.description,
                    "posted_by": sorted(entry.posters),
                    "schema_version": entry.schema_version,
                    "schema": f"/schemas/{name}",
                }
                for name, entry in sorted(CATALOG.items())
            ]
        }

    @router.get("/{type_name}", summary="The JSON Schema (2020-12) of one event type")
    async def schema(type_name: str) -> dict[str, Any]:
        if type_name not in CATALOG:
            raise NotFound(f"no event type {type_name!r}")
        return event_schema(type_name)

    return router
