"""The replay document as JSON: the picture and its framing, keys sorted, stable.

Characters a terminal would act on are written as ``\\uXXXX`` escapes
(``neutral.json_text``): the same strings to a JSON reader, inert when printed."""

from collections.abc import Mapping
from typing import Any

import orjson

from services.projection.replay.neutral import json_text


def render_json(doc: Mapping[str, Any]) -> str:
    text = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    return json_text(text) + "\n"
