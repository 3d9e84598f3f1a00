"""An actor may name the unit of its agency it works in (``hospital-ed``, ``gp``):
accepted on v1 and v2 types alike, kept in the canonical form when sent, and
absent from it, byte for byte, when not, so that events stored before units
existed keep their digests and their idempotent retries still match."""

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from events import Agency, canonical, parse_envelope
from events.envelope import canonical_all
from events.records import canonical_bytes
from services.http.problems import Unprocessable
from services.ingest.intake import Intake
from tests.support.factories import make_envelope, make_submission

EVENT_ID = "6f1c1d2e-8a51-4c3e-9a77-0d3f6b1e2a10"
BEFORE_UNITS = (
    b'{"actor":{"name":null,"ref":"pc-101","role":"officer"},"case_id":"case-1",'
    b'"causation_id":null,"children":["child-k"],"correlation_id":null,'
    b'"data":{"category":"injury","child":"child-k","concern":"Bruising to the upper arm.",'
    b'"significant_harm_suspected":false,"source":"professional"},'
    b'"event_id":"6f1c1d2e-8a51-4c3e-9a77-0d3f6b1e2a10","occurred_at":"2024-03-01T21:30:00Z",'
    b'"schema_version":1,"type":"concern.observed"}'
)
"""The canonical bytes of this event as stored before units were added (and its
digest, as computed by that code)."""
DIGEST_BEFORE_UNITS = "5f464fe1b8be443e828e0cfacbcf690422a6cbfa4cf070ca88d1b5e7ee2c5b0b"

HEALTH = Intake(
    agency=Agency.HEALTH,
    now=datetime(2030, 1, 1, tzinfo=UTC),
    max_skew=timedelta(minutes=5),
    max_depth=32,
    max_batch=1_000,
    metadata={},
)


def test_an_event_without_a_unit_keeps_its_canonical_bytes_and_digest() -> None:
    envelope = make_envelope("concern.observed", event_id=EVENT_ID)

    one = canonical_bytes(canonical(parse_envelope(envelope)))
    batched = canonical_bytes(canonical_all([parse_envelope(envelope)])[0])
    submission = make_submission("health", type="concern.observed", event_id=EVENT_ID)

    assert one == batched == BEFORE_UNITS
    assert submission.digest() == DIGEST_BEFORE_UNITS


@pytest.mark.parametrize("type_name", ["concern.observed", "home_visit.made"])
def test_a_unit_is_accepted_on_v1_and_v2_types_and_kept(type_name: str) -> None:
    actor = {"role": "paediatric registrar", "unit": "hospital-ed"}
    envelope = make_envelope(type_name, actor=actor)

    submissions, _ = HEALTH.submissions(orjson.dumps(envelope))

    assert submissions[0].envelope["actor"] == {**actor, "ref": None, "name": None}


@pytest.mark.parametrize("unit", ["Hospital ED", "hospital ed", "", "-gp", "x" * 65])
def test_a_unit_that_is_not_a_lower_case_slug_is_422_at_the_actors_unit(unit: str) -> None:
    envelope = make_envelope("concern.observed", actor={"role": "nurse"})
    envelope["actor"]["unit"] = unit

    with pytest.raises(Unprocessable) as caught:
        HEALTH.submissions(orjson.dumps(envelope))

    assert [e["loc"] for e in caught.value.errors] == [["body", "actor", "unit"]]
