"""What a 422 says about a field: where and what kind, never the value sent."""

from typing import Any

import pytest

from services.http.problems import field_error

SECRET = "sk-live-7f3a9c1e5b"


@pytest.mark.parametrize(
    ("error", "msg"),
    [
        (
            {
                "type": "value_error",
                "msg": f"Value error, {SECRET!r} is not a known reference",
                "ctx": {"error": ValueError(f"{SECRET!r} is not a known reference")},
            },
            "Value error",
        ),
        (
            {
                "type": "uuid_parsing",
                "msg": "Input should be a valid UUID, invalid character: found `s` at 1",
                "ctx": {"error": "invalid character: found `s` at 1"},
            },
            "Input should be a valid UUID",
        ),
        (
            {
                "type": "union_tag_invalid",
                "msg": f"Input tag '{SECRET}' found using 'type' does not match any of the"
                " expected tags: 'a', 'b'",
                "ctx": {"tag": SECRET, "discriminator": "'type'", "expected_tags": "'a', 'b'"},
            },
            "Input tag found using 'type' does not match any of the expected tags: 'a', 'b'",
        ),
        ({"type": "my_custom", "msg": f"bad {SECRET}", "ctx": {"value": SECRET}}, "invalid value"),
    ],
)
def test_a_message_built_from_the_input_is_replaced_by_pydantics_own_words(
    error: dict[str, Any], msg: str
) -> None:
    reduced = field_error({**error, "loc": ("body", "ref"), "input": SECRET})

    assert reduced == {"loc": ["body", "ref"], "msg": msg, "type": error["type"]}


def test_a_validators_own_sentence_and_schema_limits_are_kept() -> None:
    unique = {"type": "value_error", "msg": "Value error, items must be unique"}
    too_long = {"type": "string_too_long", "msg": "String should have at most 3 characters"}

    kept = [
        field_error({**unique, "loc": ("x",), "input": ["a", "a"], "ctx": {"error": "..."}}),
        field_error({**too_long, "loc": ("x",), "input": SECRET, "ctx": {"max_length": 3}}),
    ]

    assert [k["msg"] for k in kept] == [unique["msg"], too_long["msg"]]
