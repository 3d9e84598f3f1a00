"""Catalog v2 at the ingest intake: each new type accepted as its example, and
refused with a 422 at the exact field when a required field is missing, an enum
is wrong or a field is unknown; the envelope's ``schema_version`` must name the
type's version; v2 past facts join the clock check."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from events import CATALOG, Agency
from events.catalog import IDENTITY_TYPES
from services.http.problems import Forbidden, Unprocessable
from services.ingest.intake import Intake
from tests.support.factories import DEFAULT_DATA, make_envelope

NOW = datetime(2030, 1, 1, tzinfo=UTC)
V2_TYPES = sorted(
    name
    for name, entry in CATALOG.items()
    if entry.schema_version == 2 and name not in IDENTITY_TYPES
)
"""The v2 types from the reviews; the identity types have their own tests
(test_identity_events.py)."""

WRONG_ENUM = {
    "conference.held": "decision",
    "plan.started": "kind",
    "plan.ended": "kind",
    "placement.ended": "outcome",
    "home_visit.made": "child_seen",  # a strict boolean: "yes" is not one
    "police_action.taken": "action",
    "legal_planning_meeting.held": "decision",
    "parental_responsibility.recorded": "holders",  # a holder's basis, one level down
    "parental_responsibility_holder.informed": "method",
    "serious_incident.notified": "kind",
    "household_member.reported": "reported_by",
}
"""One closed-choice field per type, given a value outside its choices."""


def intake_for(type_name: str) -> Intake:
    poster = sorted(CATALOG[type_name].posters)[0]
    return Intake(
        agency=Agency(poster),
        now=NOW,
        max_skew=timedelta(minutes=5),
        max_depth=32,
        max_batch=1_000,
        metadata={},
    )


def refused(type_name: str, envelope: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(Unprocessable) as caught:
        intake_for(type_name).submissions(orjson.dumps(envelope))
    return [dict(e) for e in caught.value.errors]


def required_fields(type_name: str) -> list[str]:
    model = CATALOG[type_name].payload
    return [name for name, field in model.model_fields.items() if field.is_required()]


def test_catalog_v2_is_the_eleven_types_of_the_issue() -> None:
    assert (
        sorted(
            [
                *("conference.held", "plan.started", "plan.ended", "placement.ended"),
                *("home_visit.made", "police_action.taken", "legal_planning_meeting.held"),
                *("parental_responsibility.recorded", "parental_responsibility_holder.informed"),
                *("serious_incident.notified", "household_member.reported"),
            ]
        )
        == V2_TYPES
    )
    assert set(WRONG_ENUM) == set(V2_TYPES)


@pytest.mark.parametrize("type_name", V2_TYPES)
def test_a_v2_example_is_accepted_and_stored_as_version_2(type_name: str) -> None:
    submissions, batch = intake_for(type_name).submissions(orjson.dumps(make_envelope(type_name)))

    assert not batch
    assert submissions[0].envelope["schema_version"] == 2
    assert submissions[0].envelope["type"] == type_name


@pytest.mark.parametrize(
    ("type_name", "field"), [(t, f) for t in V2_TYPES for f in required_fields(t)]
)
def test_a_v2_payload_without_a_required_field_is_422_at_that_field(
    type_name: str, field: str
) -> None:
    envelope = make_envelope(type_name)
    del envelope["data"][field]

    errors = refused(type_name, envelope)

    assert errors == [{"loc": ["body", "data", field], "msg": "Field required", "type": "missing"}]


@pytest.mark.parametrize("type_name", V2_TYPES)
def test_a_v2_payload_with_a_value_outside_its_choices_is_422_at_that_field(
    type_name: str,
) -> None:
    field = WRONG_ENUM[type_name]
    envelope = make_envelope(type_name)
    if field == "holders":
        envelope["data"]["holders"] = [{"person": "mother", "basis": "neighbour"}]
        where = ["body", "data", "holders", 0, "basis"]
    else:
        envelope["data"][field] = "yes" if field == "child_seen" else "something_else"
        where = ["body", "data", field]

    errors = refused(type_name, envelope)

    assert [e["loc"] for e in errors] == [where]
    assert errors[0]["type"] in ("literal_error", "bool_type")


@pytest.mark.parametrize("type_name", V2_TYPES)
def test_a_v2_payload_with_an_unknown_field_is_422_at_the_payload(type_name: str) -> None:
    envelope = make_envelope(type_name)
    envelope["data"]["verified"] = True

    errors = refused(type_name, envelope)

    assert [(e["loc"], e["type"]) for e in errors] == [(["body", "data"], "extra_forbidden")]


@pytest.mark.parametrize("version", [None, 1, 3])
def test_a_v2_type_must_say_schema_version_2(version: int | None) -> None:
    envelope = make_envelope("plan.started")
    if version is None:
        del envelope["schema_version"]
    else:
        envelope["schema_version"] = version

    errors = refused("plan.started", envelope)

    assert [e["loc"] for e in errors] == [["body", "schema_version"]]
    assert errors[0]["msg"] == ("must be 2: 'plan.started' is a type of catalog v2 (send 2)")


def test_a_v1_type_keeps_schema_version_1_said_or_left_out() -> None:
    said = make_envelope("concern.observed")
    said["schema_version"] = 1
    wrong = {**said, "schema_version": 2}
    concern_intake = Intake(
        agency=Agency.HEALTH,
        now=NOW,
        max_skew=timedelta(minutes=5),
        max_depth=32,
        max_batch=1_000,
        metadata={},
    )

    left_out, _ = concern_intake.submissions(orjson.dumps(make_envelope("concern.observed")))
    explicit, _ = concern_intake.submissions(orjson.dumps(said))
    with pytest.raises(Unprocessable) as caught:
        concern_intake.submissions(orjson.dumps(wrong))

    assert left_out[0].envelope["schema_version"] == explicit[0].envelope["schema_version"] == 1
    assert caught.value.errors[0]["loc"] == ["body", "schema_version"]
    assert "type of catalog v1 (send 1 or leave it out)" in caught.value.errors[0]["msg"]


@pytest.mark.parametrize(
    ("type_name", "field"),
    [("serious_incident.notified", "incident_time"), ("household_member.reported", "last_seen_at")],
)
def test_a_v2_past_fact_beyond_the_clock_is_422_at_its_field(type_name: str, field: str) -> None:
    envelope = make_envelope(type_name, occurred_at=NOW - timedelta(hours=1))
    envelope["data"][field] = (NOW + timedelta(hours=1)).isoformat()

    errors = refused(type_name, envelope)

    assert [(e["loc"], e["type"]) for e in errors] == [(["body", "data", field], "time_in_future")]


def test_police_actions_are_the_polices_and_conferences_social_cares() -> None:
    school = Intake(
        agency=Agency.EDUCATION,
        now=NOW,
        max_skew=timedelta(minutes=5),
        max_depth=32,
        max_batch=1_000,
        metadata={},
    )

    for type_name in ("police_action.taken", "conference.held", "plan.started"):
        with pytest.raises(Forbidden):
            school.submissions(orjson.dumps(make_envelope(type_name)))
    accepted, _ = school.submissions(orjson.dumps(make_envelope("home_visit.made")))
    assert accepted[0].envelope["type"] == "home_visit.made"
    assert set(DEFAULT_DATA) == set(CATALOG)
