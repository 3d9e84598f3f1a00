"""One JSON Schema (draft 2020-12) per event type, for integrators to validate
against before sending. Generated from the envelope models, so it cannot drift
from what the services accept; ``safeguard export-schemas`` writes the files
under ``events/schemas/`` and a test checks they are up to date.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from events.catalog import CATALOG
from events.envelope import ENVELOPES

SCHEMA_DIR = Path(__file__).parent / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


@cache
def event_schema(type_name: str) -> dict[str, Any]:
    """The schema of an envelope of ``type_name``; ``KeyError`` if unknown."""
    entry = CATALOG[type_name]
    schema = ENVELOPES[type_name].model_json_schema()
    schema["title"] = type_name
    schema["description"] = entry.description
    return {
        "$schema": DIALECT,
        "$id": f"urn:safeguard:event:{type_name}:v{entry.schema_version}",
        **schema,
    }


def schema_text(type_name: str) -> str:
    """Stable text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(event_schema(type_name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files() -> dict[str, str]:
    """File name to content, for every catalog type."""
    return {f"{name}.json": schema_text(name) for name in sorted(CATALOG)}
