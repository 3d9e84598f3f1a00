"""The contract's times and refs: RFC 3339 text within 1900..2200, past facts no
later than the clock allows, and refs that cannot look like another ref."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from events import Agency, parse_envelope
from events.envelope import parse_submission_json
from services.http.problems import Unprocessable
from services.ingest.intake import Intake
from tests.support.factories import make_envelope

NOW = datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
INTAKE = Intake(
    agency=Agency("health"),
    now=NOW,
    max_skew=timedelta(minutes=5),
    max_depth=32,
    max_batch=1_000,
    metadata={},
)


def errors_for(envelope: dict[str, Any]) -> list[dict[str, Any]]:
    """The validation errors, checked to be the same from bytes (the hot path)."""
    assert parse_submission_json(orjson.dumps(envelope)) is None
    with pytest.raises(ValidationError) as caught:
        parse_envelope(envelope)
    return [{"loc": list(e["loc"][1:]), "type": e["type"]} for e in caught.value.errors()]


def with_time(value: Any) -> dict[str, Any]:
    return {**make_envelope("disclosure.made"), "occurred_at": value}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("0001-01-01T00:00:00+00:00", "datetime_out_of_range"),
        ("1899-12-31T23:59:59Z", "datetime_out_of_range"),
        ("1900-01-01T00:30:00+01:00", "datetime_out_of_range"),  # 1899 in UTC
        ("2200-01-01T00:00:00Z", "datetime_out_of_range"),
        ("9999-12-31T23:59:59-23:59", "datetime_out_of_range"),
        (1709328600, "rfc3339"),
        (1709328600.5, "rfc3339"),
        ("1709328600", "rfc3339"),
        ("2024-03-01", "rfc3339"),
        ("2024-03-01T21:30:00", "rfc3339"),
        ("2024-03-01T21:30Z", "rfc3339"),
        ("2024-03-01 21:30:00Z", "rfc3339"),
        ("2024-03-01T21:30:00+0100", "rfc3339"),
        ("\uff12\uff10\uff12\uff14-03-01T21:30:00Z", "rfc3339"),
    ],
)
def test_a_time_out_of_range_or_not_rfc3339_is_refused_at_its_field(value: Any, kind: str) -> None:
    assert errors_for(with_time(value)) == [{"loc": ["occurred_at"], "type": kind}]


@pytest.mark.parametrize(
    "value",
    [
        "1900-01-01T00:00:00Z",
        "1900-01-01T00:00:00-01:00",
        "2024-03-01T21:30:00.123456+05:30",
        "2024-03-01t21:30:00z",
        "2199-12-31T23:59:59Z",
    ],
)
def test_rfc3339_times_within_the_range_are_accepted(value: str) -> None:
    assert parse_envelope(with_time(value)).occurred_at == datetime.fromisoformat(value.upper())


def test_a_past_fact_in_data_beyond_the_clock_skew_is_422_at_its_field() -> None:
    soon = make_envelope("medical.attended", reported_injury_time="2024-03-02T09:04:00Z")
    late = make_envelope("medical.attended", reported_injury_time="2024-03-02T09:06:00Z")
    late["occurred_at"] = "2024-03-02T08:00:00Z"

    with pytest.raises(Unprocessable) as caught:
        INTAKE.submissions(orjson.dumps({"events": [soon, late]}))

    assert [e["loc"] for e in caught.value.errors] == [
        ["body", "events", 1, "data", "reported_injury_time"]
    ]
    assert caught.value.errors[0]["type"] == "time_in_future"


def test_a_past_fact_in_data_before_1900_is_refused() -> None:
    old = make_envelope("medical.attended")
    old["data"]["reported_injury_time"] = "1850-01-01T00:00:00Z"

    assert errors_for(old) == [
        {"loc": ["data", "reported_injury_time"], "type": "datetime_out_of_range"}
    ]


# --- refs --------------------------------------------------------------------


def with_child(ref: str) -> dict[str, Any]:
    envelope = make_envelope("concern.observed")
    return {**envelope, "children": [ref], "data": {**envelope["data"], "child": ref}}


@pytest.mark.parametrize(
    ("ref", "kind"),
    [
        ("child\x00z", "ref_character"),
        ("child\x1bz", "ref_character"),
        ("child\u202ez", "ref_character"),  # right-to-left override
        ("child\u200bz", "ref_character"),  # zero-width space
        ("child\u2028z", "ref_character"),  # line separator
        ("child\ue000z", "ref_character"),  # private use
        ("child\U000e0001z", "ref_character"),  # language tag (format)
        ("child\u2011z", "ref_character"),  # non-breaking hyphen
        ("child\u2010z", "ref_character"),  # hyphen
        ("child\u2013z", "ref_character"),  # en dash
        ("child!z", "ref_character"),
        ("child  z", "ref_character"),
        ("chil\u0434-z", "ref_script"),  # Cyrillic de among Latin letters
        ("p\u0430ul", "ref_script"),  # Cyrillic a
    ],
)
def test_a_ref_with_an_invisible_look_alike_or_mixed_script_character_is_refused(
    ref: str, kind: str
) -> None:
    errors = errors_for(with_child(ref))

    assert {e["type"] for e in errors} == {kind}
    assert ["data", "child"] in [e["loc"] for e in errors]


def test_the_refusal_names_the_character_and_what_to_write_instead() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_envelope(with_child("child\u2011z"))

    assert "U+2011 NON-BREAKING HYPHEN" in str(caught.value)
    assert "write a hyphen as '-'" in str(caught.value)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("child-k", "child-k"),
        ("Zoe\u0308", "Zoë"),  # decomposed: composed
        ("\uff43\uff48\uff49\uff4c\uff44-z", "child-z"),  # fullwidth: ASCII
        ("zoë\u00a0ångström", "zoë ångström"),  # no-break space: space
        ("Оля-2", "Оля-2"),  # Cyrillic with ASCII digits and hyphen
        ("山田-はなこ", "山田-はなこ"),  # Japanese: Han with Hiragana
        ("O'Brien (adult)", "O'Brien (adult)"),
    ],
)
def test_valid_refs_are_kept_in_one_normal_form(sent: str, stored: str) -> None:
    envelope = parse_envelope(with_child(sent))

    assert envelope.children == [stored]


def test_case_id_outside_its_ascii_pattern_gets_a_plain_message() -> None:
    envelope = {**make_envelope(), "case_id": "case\u2011one"}

    with pytest.raises(ValidationError) as caught:
        parse_envelope(envelope)

    (error,) = caught.value.errors()
    assert error["loc"][1:] == ("case_id",)
    assert error["msg"] == "must be 1 to 64 ASCII letters, digits, '.', '_' or '-'"
