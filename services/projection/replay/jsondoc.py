"""The replay document as JSON: the picture and its framing, keys sorted, stable."""

from collections.abc import Mapping
from typing import Any

import orjson


def render_json(doc: Mapping[str, Any]) -> str:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
