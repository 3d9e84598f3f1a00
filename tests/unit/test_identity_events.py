"""Identity on the envelope and the linking types at the ingest intake: subjects
and an agency's case reference are accepted, kept and absent byte for byte when
not sent; a bad NHS number is a 422 at its field; deciding a match or splitting a
joint case is children's social care's alone."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from events import CATALOG, Agency
from events.catalog import IDENTITY_TYPES
from events.identifiers import is_valid_nhs_number
from events.records import RecordedEvent
from services.http.problems import Forbidden, Unprocessable
from services.ingest.intake import Intake
from tests.support.factories import make_envelope

NOW = datetime(2030, 1, 1, tzinfo=UTC)
CHILD_K = {
    "ref": "child-k",
    "nhs_number": "999 000 0018",
    "name": "Child K",
    "date_of_birth": "2012-05-01",
    "postcode": "cf31 1aa",
}


def intake(agency: Agency) -> Intake:
    return Intake(
        agency=agency,
        now=NOW,
        max_skew=timedelta(minutes=5),
        max_depth=32,
        max_batch=1_000,
        metadata={},
    )


def refused(agency: Agency, envelope: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(Unprocessable) as caught:
        intake(agency).submissions(orjson.dumps(envelope))
    return [dict(e) for e in caught.value.errors]


def with_identity(**extra: Any) -> dict[str, Any]:
    envelope = make_envelope("concern.observed")
    envelope.update(extra)
    return envelope


@pytest.mark.parametrize(
    ("number", "valid"),
    [("9990000018", True), ("9434765919", True), ("9990000019", False), ("9990000081", False)],
)
def test_the_nhs_number_check_digit_is_modulus_11(number: str, valid: bool) -> None:
    assert is_valid_nhs_number(number) is valid


def test_subjects_and_the_agency_case_ref_are_kept_in_canonical_form() -> None:
    envelope = with_identity(subjects=[CHILD_K], agency_case_ref="HLTH/2024/0042")

    submissions, _ = intake(Agency.HEALTH).submissions(orjson.dumps(envelope))

    stored = submissions[0].envelope
    assert stored["subjects"] == [
        {**CHILD_K, "nhs_number": "9990000018", "postcode": "CF31 1AA"}
        | {"la_person_id": None, "police_person_id": None}
    ]
    assert stored["agency_case_ref"] == "HLTH/2024/0042"


def test_identity_survives_the_round_trip_through_the_stored_record() -> None:
    envelope = with_identity(subjects=[CHILD_K], agency_case_ref="HLTH-42")
    submission = intake(Agency.HEALTH).submissions(orjson.dumps(envelope))[0][0]
    record = RecordedEvent.from_submission(
        submission, position=1, stream_version=1, recorded_at=NOW
    )

    back = RecordedEvent.from_json(orjson.loads(orjson.dumps(record.to_json())))

    assert back.subjects[0]["nhs_number"] == "9990000018"
    assert back.agency_case_ref == "HLTH-42"
    assert back.envelope() == dict(submission.envelope)


def test_an_event_without_identity_has_neither_field_in_its_envelope() -> None:
    submission = intake(Agency.HEALTH).submissions(orjson.dumps(with_identity()))[0][0]
    record = RecordedEvent.from_submission(
        submission, position=1, stream_version=1, recorded_at=NOW
    )

    assert "subjects" not in submission.envelope
    assert "agency_case_ref" not in submission.envelope
    assert record.envelope() == dict(submission.envelope)


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("999 000 0019", "nhs_number"),  # check digit wrong
        ("9990000081", "nhs_number"),  # two digits swapped
        ("99900000", "nhs_number_format"),
        ("999-000-0018", "nhs_number_format"),
        (9990000018, "nhs_number_format"),
    ],
)
def test_a_bad_nhs_number_is_422_at_the_subjects_nhs_number(number: Any, kind: str) -> None:
    envelope = with_identity(subjects=[{**CHILD_K, "nhs_number": number}])

    errors = refused(Agency.HEALTH, envelope)

    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "subjects", 0, "nhs_number"], kind)
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("postcode", "not a postcode"), ("date_of_birth", "01/05/2012"), ("la_person_id", "a b")],
)
def test_a_bad_subject_identifier_is_422_at_its_field(field: str, value: str) -> None:
    errors = refused(Agency.HEALTH, with_identity(subjects=[{**CHILD_K, field: value}]))

    assert [e["loc"] for e in errors] == [["body", "subjects", 0, field]]


def test_a_subject_needs_a_ref_and_no_unknown_identifier() -> None:
    envelope = with_identity(subjects=[{"nhs_number": "9990000018", "passport": "x"}])

    errors = refused(Agency.HEALTH, envelope)

    assert sorted(tuple(e["loc"]) for e in errors) == [
        ("body", "subjects", 0),
        ("body", "subjects", 0, "ref"),
    ]


def test_the_identity_types_are_the_five_of_the_issue_each_of_catalog_v2() -> None:
    assert sorted(IDENTITY_TYPES) == [
        "case.linked",
        "case.unlinked",
        "link.confirmed",
        "link.proposed",
        "link.rejected",
    ]
    assert {CATALOG[name].schema_version for name in IDENTITY_TYPES} == {2}


@pytest.mark.parametrize("type_name", sorted(IDENTITY_TYPES))
def test_social_care_may_post_every_identity_type(type_name: str) -> None:
    for agency in (Agency.EDT, Agency.CHILDREN_SOCIAL_CARE):
        accepted, _ = intake(agency).submissions(orjson.dumps(make_envelope(type_name)))
        assert accepted[0].envelope["type"] == type_name


@pytest.mark.parametrize("type_name", ["link.confirmed", "link.rejected", "case.unlinked"])
@pytest.mark.parametrize("agency", [Agency.POLICE, Agency.HEALTH, Agency.EDUCATION])
def test_only_social_care_decides_a_match_or_splits_a_joint_case(
    type_name: str, agency: Agency
) -> None:
    with pytest.raises(Forbidden):
        intake(agency).submissions(orjson.dumps(make_envelope(type_name)))


@pytest.mark.parametrize("type_name", ["case.linked", "link.proposed"])
def test_any_agency_may_link_or_propose(type_name: str) -> None:
    accepted, _ = intake(Agency.POLICE).submissions(orjson.dumps(make_envelope(type_name)))

    assert accepted[0].envelope["schema_version"] == 2


@pytest.mark.parametrize("type_name", sorted(IDENTITY_TYPES))
@pytest.mark.parametrize("field", ["other_case_id", "reason"])
def test_an_identity_payload_without_a_required_field_is_422_at_it(
    type_name: str, field: str
) -> None:
    envelope = make_envelope(type_name)
    del envelope["data"][field]

    errors = refused(Agency.EDT, envelope)

    assert [(e["loc"], e["type"]) for e in errors] == [(["body", "data", field], "missing")]


@pytest.mark.parametrize("type_name", sorted(IDENTITY_TYPES))
def test_an_identity_payload_naming_a_bad_case_id_is_422_at_it(type_name: str) -> None:
    envelope = make_envelope(type_name)
    envelope["data"]["other_case_id"] = "case 2/../x"

    errors = refused(Agency.EDT, envelope)

    assert [e["loc"] for e in errors] == [["body", "data", "other_case_id"]]
