"""The shared test factories produce valid events for every catalog type."""

import pytest
from pydantic import ValidationError

from events import CATALOG, parse_envelope
from tests.support.factories import DEFAULT_DATA, make_envelope, make_submission


def test_defaults_cover_exactly_the_catalog() -> None:
    assert set(DEFAULT_DATA) == set(CATALOG)


@pytest.mark.parametrize("type_name", sorted(CATALOG))
def test_default_envelope_of_every_type_validates(type_name: str) -> None:
    envelope = make_envelope(type_name)

    assert parse_envelope(envelope).type == type_name


def test_overrides_patch_single_payload_fields() -> None:
    envelope = make_envelope("person.released", outcome="charged", case_id="case-9")

    assert envelope["data"]["outcome"] == "charged"
    assert envelope["data"]["person"] == "adult-m"
    assert envelope["case_id"] == "case-9"


def test_invalid_override_fails_at_the_factory() -> None:
    with pytest.raises(ValidationError):
        make_envelope("person.released", outcome="let_off")


def test_submission_carries_canonical_envelope_and_stable_digest() -> None:
    sub = make_submission(agency="health", type="injury.identified", event_id=_ID)
    again = make_submission(agency="health", type="injury.identified", event_id=_ID)

    assert sub.event_id == _ID
    assert sub.envelope["schema_version"] == 1
    assert sub.digest() == again.digest()
    police = make_submission(agency="police", type="injury.identified", event_id=_ID)
    assert sub.digest() != police.digest()


_ID = "6f1c2b1e-8d1a-4a55-9b5e-0c7d3f0a9e11"
