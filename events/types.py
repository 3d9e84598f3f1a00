"""Constrained scalar types shared by the envelope and every payload.

Refs are normalised to Unicode NFC so that the same person typed on two systems
("Zoë" composed or decomposed) is one ref, not two.
"""

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

MAX_TEXT = 10_000
MAX_ITEMS = 200


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _unique(items: list[str]) -> list[str]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


Ref = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    AfterValidator(_nfc),
]
"""A reference to a person or record, unique within a case (e.g. ``child-k``)."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
"""Free text written by a professional."""

Refs = Annotated[list[Ref], Field(max_length=MAX_ITEMS), AfterValidator(_unique)]

CaseId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
