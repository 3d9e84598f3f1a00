"""Replay documents: the page a case reviewer starts from, as of any moment.

Each renderer takes the document built by
``services.projection.review.review_document`` —
``{"picture": <joint picture>, "generated_at", "as_of", "recorded_by"}`` — and
returns text. Pure: the CLI writes the files.
"""

from services.projection.replay.html import render_html
from services.projection.replay.jsondoc import render_json
from services.projection.replay.markdown import render_markdown

__all__ = ["render_html", "render_json", "render_markdown"]
