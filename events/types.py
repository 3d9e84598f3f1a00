"""Constrained scalar types shared by the envelope and every payload.

Refs name people and records; two refs that look the same must be the same ref,
or one child becomes two (``child-z`` and ``child\u2011z``). So a ref is
normalised to Unicode NFKC ("Zoë" composed or decomposed, fullwidth letters,
no-break spaces: one form each), and refused if it holds a control, format
(bidi override, zero-width), separator, private-use or unassigned character,
punctuation or symbols other than a few ASCII ones, or letters of more than one
script (a Cyrillic "a", U+0430, in a Latin name). The scripts are those UTS #39 recommends
for identifiers; Japanese, Chinese and Korean may mix theirs with Latin, as UTS #39's
"highly restrictive" level allows.

Times are RFC 3339 strings with an offset, from 1900 to before 2200: pydantic-core
checks the form and the range natively. How far in the future a past fact may lie
depends on the clock, which the domain does not read: the ingest intake checks it
(``past_facts``).
"""

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

import regex
from pydantic import AfterValidator, Field, GetPydanticSchema, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError, core_schema

MAX_TEXT = 10_000
MAX_ITEMS = 200

# --- times ------------------------------------------------------------------

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""No safeguarding fact is older; anything earlier is a typo or a zeroed field."""
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""A ceiling for every time in the contract, far from where date arithmetic overflows."""
RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
"""RFC 3339 ``date-time``: full date, ``T``, full time with seconds, and an offset."""

RFC3339_MSG = "must be an RFC 3339 date-time with an offset, e.g. 2024-03-01T21:30:00Z"
RANGE_MSG = "must be from 1900-01-01T00:00:00Z and before 2200-01-01T00:00:00Z"


def _timestamp_schema(_source: Any, _handler: Any) -> core_schema.CoreSchema:
    """Three native steps: the string's form, the datetime, its range. A JSON
    number is not a string, so an epoch is refused, as is ``2024-03-01``."""
    return core_schema.chain_schema(
        [
            _said(core_schema.str_schema(pattern=RFC3339, strict=True), "rfc3339", RFC3339_MSG),
            core_schema.datetime_schema(tz_constraint="aware"),
            _said(
                core_schema.datetime_schema(ge=EARLIEST, lt=LATEST, strict=True),
                "datetime_out_of_range",
                RANGE_MSG,
            ),
        ]
    )


def _said(schema: core_schema.CoreSchema, kind: str, msg: str) -> core_schema.CoreSchema:
    """``schema``, whose every error is one of type ``kind`` saying ``msg``."""
    return core_schema.custom_error_schema(schema, custom_error_type=kind, custom_error_message=msg)


Timestamp = Annotated[
    datetime,
    GetPydanticSchema(_timestamp_schema),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": RFC3339,
            "description": "RFC 3339 with an offset, from 1900-01-01 and before 2200-01-01",
        }
    ),
]
"""A moment: RFC 3339 text with an offset, 1900 ≤ t < 2200."""

# --- refs -------------------------------------------------------------------

SELF_WORDED_ERRORS = frozenset({"ref_character", "ref_script"})
"""Error types whose message the contract words itself, naming a refused character
by its code point and never repeating the value: an error body may show them as
they are (``services.http.problems`` drops messages that could echo input)."""

REF_PUNCTUATION = "-_.'/:#@+(), "
"""The only punctuation a ref may hold: ASCII, so no look-alike dash or quote."""
_ASCII_REF = re.compile(r"[A-Za-z0-9" + re.escape(REF_PUNCTUATION) + r"]+")

RECOMMENDED_SCRIPTS = (
    *("Arabic", "Armenian", "Bengali", "Bopomofo", "Cyrillic", "Devanagari", "Ethiopic"),
    *("Georgian", "Greek", "Gujarati", "Gurmukhi", "Han", "Hangul", "Hebrew", "Hiragana"),
    *("Kannada", "Katakana", "Khmer", "Lao", "Latin", "Malayalam", "Myanmar", "Oriya"),
    *("Sinhala", "Tamil", "Telugu", "Thaana", "Thai", "Tibetan"),
)
"""UTS #39 table 5: the scripts in common use today."""
_SCRIPT = regex.compile("|".join(rf"(?P<{s}>\p{{Script={s}}})" for s in RECOMMENDED_SCRIPTS))
_COMMON = regex.compile(r"[\p{Script=Common}\p{Script=Inherited}]")
_MIXES = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),
    frozenset({"Latin", "Han", "Bopomofo"}),
    frozenset({"Latin", "Han", "Hangul"}),
)
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character (bidi control, zero-width)",
    "Cs": "a surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}


def _ref(value: str) -> str:
    """The one form of a ref, or a ``ref_character``/``ref_script`` error."""
    if value.isascii() and _ASCII_REF.fullmatch(value) and "  " not in value:
        return value  # the common case: NFKC leaves ASCII as it is
    for char in value:  # as sent, so the error names the character that was sent
        _check_character(char, sent=True)
    value = unicodedata.normalize("NFKC", value)
    for char in value:
        _check_character(char)
    if "  " in value:
        raise PydanticCustomError("ref_character", "must not hold two spaces in a row")
    _check_scripts(value)
    return value


def _check_character(char: str, *, sent: bool = False) -> None:
    """Refuse ``char``; spaces as sent pass, as NFKC makes most of them ASCII."""
    if char.isascii() and (char.isalnum() or char in REF_PUNCTUATION):
        return
    category = unicodedata.category(char)
    what = _REFUSED_CATEGORIES.get(category)
    if sent and category == "Zs":
        return
    if what is None and (category[0] in "PSZ" or char.isascii()):
        what = "punctuation, a symbol or a space other than " + repr(REF_PUNCTUATION)
        if category == "Pd":
            what += " (write a hyphen as '-')"
    if what is not None:
        raise PydanticCustomError(
            "ref_character",
            "must not hold {character}: {what}",
            {"character": _named(char), "what": what},
        )


def _check_scripts(value: str) -> None:
    scripts = {m.lastgroup for m in _SCRIPT.finditer(value)}
    for char in value:
        if char.isalnum() and not _SCRIPT.match(char) and not _COMMON.match(char):
            raise PydanticCustomError(
                "ref_script",
                "must not hold {character}: its script is not one refs are written in",
                {"character": _named(char)},
            )
    if len(scripts) > 1 and not any(scripts <= mix for mix in _MIXES):
        raise PydanticCustomError(
            "ref_script",
            "mixes letters of {scripts}: write a ref in one script, so that look-alike"
            " letters (a Cyrillic a, U+0430, for a Latin a) cannot make a second ref",
            {"scripts": " and ".join(sorted(str(s) for s in scripts))},
        )


def _named(char: str) -> str:
    """``U+2011 NON-BREAKING HYPHEN``: the character itself may not print."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"


def _unique(items: list[str]) -> list[str]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


Ref = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    AfterValidator(_ref),
]
"""A reference to a person or record, unique within a case (e.g. ``child-k``)."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
"""Free text written by a professional."""

Refs = Annotated[list[Ref], Field(max_length=MAX_ITEMS), AfterValidator(_unique)]

CASE_ID = r"^[A-Za-z0-9._-]{1,64}$"


def _case_id_schema(_source: Any, _handler: Any) -> core_schema.CoreSchema:
    return _said(
        core_schema.str_schema(pattern=CASE_ID, strict=True),
        "case_id",
        "must be 1 to 64 ASCII letters, digits, '.', '_' or '-'",
    )


CaseId = Annotated[
    str,
    GetPydanticSchema(_case_id_schema),
    WithJsonSchema({"type": "string", "pattern": CASE_ID}),
]
