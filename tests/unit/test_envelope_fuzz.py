"""Hypothesis against the envelope validator: whatever JSON arrives, it answers
with a result or a ``ValidationError``, never another exception; and a valid
envelope survives canonical form, the JSON wire and the store unchanged."""

import unicodedata
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from events import CATALOG, RecordedEvent, Submission, canonical, parse_envelope, parse_submission
from events.envelope import EnvelopeBase, parse_submission_json
from infra.sqlite.drafts import draft, recorded_at_bytes
from infra.sqlite.schema import decode, encode
from tests.support.factories import DEFAULT_DATA

FIELDS = [*EnvelopeBase.model_fields, "events", "agency", "position"]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=30,
)
envelope_like = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(CATALOG)) | st.text(max_size=20)},
    optional={name: json_values for name in FIELDS if name != "type"}
    | {"data": st.dictionaries(st.text(max_size=20), json_values, max_size=6)},
)
bodies = (
    json_values
    | envelope_like
    | st.builds(lambda e: {"events": e}, st.lists(envelope_like, max_size=4))
)


@FUZZ
@given(body=bodies)
def test_parse_submission_raises_nothing_but_validation_error(body: Any) -> None:
    try:
        parsed = parse_submission(body)
    except ValidationError:
        return
    assert all(isinstance(e, EnvelopeBase) for e in parsed)


LETTERS = {
    "latin": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZàéëïöüçñøßÆ",
    "decomposed latin": "aeiouzZ\u0301\u0308",  # combining accents: NFKC composes them
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщыьэюяЁЖ",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωΩ",
    "han": "王李张刘陈杨黄赵",
}
refs = (
    st.sampled_from(sorted(LETTERS))
    .flatmap(
        lambda script: st.text(alphabet=LETTERS[script] + "0123456789-_.", min_size=1, max_size=24)
    )
    .filter(lambda ref: not unicodedata.combining(ref[0]))
)
"""Valid refs: one script each, digits and ASCII punctuation."""
UNITS = ["hospital-ed", "community-paediatrics", "gp", "mash", "school-2"]
moments = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2030, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))]
    ),
)


@st.composite
def valid_envelopes(draw: st.DrawFn) -> dict[str, Any]:
    type_name = draw(st.sampled_from(sorted(DEFAULT_DATA)))
    envelope: dict[str, Any] = {
        "event_id": str(draw(st.uuids())),
        "case_id": draw(st.from_regex(r"\A[A-Za-z0-9._-]{1,64}\Z")),
        "type": type_name,
        "occurred_at": draw(moments).isoformat(),
        "children": draw(st.lists(refs, max_size=4, unique_by=_nfc)),
        "actor": {
            "role": draw(st.text(min_size=1, max_size=50).filter(str.strip)),
            "ref": draw(st.none() | refs),
        },
        "data": DEFAULT_DATA[type_name],
    }
    if CATALOG[type_name].schema_version != 1:
        envelope["schema_version"] = CATALOG[type_name].schema_version
    if draw(st.booleans()):
        envelope["actor"]["unit"] = draw(st.sampled_from(UNITS))
    if draw(st.booleans()):
        envelope["correlation_id"] = str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1))))
    return envelope


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFKC", value.strip())


@FUZZ
@given(envelope=valid_envelopes())
def test_a_valid_envelope_round_trips_through_canonical_form_the_wire_and_the_store(
    envelope: dict[str, Any],
) -> None:
    form = canonical(parse_envelope(envelope))

    again = canonical(parse_envelope(orjson.loads(orjson.dumps(form))))
    stored = RecordedEvent.from_submission(
        Submission(form, "police"), position=1, stream_version=1, recorded_at=datetime.now(UTC)
    )
    served = RecordedEvent.from_json(orjson.loads(orjson.dumps(stored.to_json())))

    assert again == form
    assert canonical(parse_envelope(served.envelope())) == form
    assert Submission(again, "police").digest() == Submission(form, "police").digest()


@FUZZ
@given(
    envelope=valid_envelopes(),
    metadata=st.dictionaries(
        st.text(max_size=12),
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
        max_size=3,
    ),
    position=st.integers(1, 2**53),
    version=st.integers(1, 2**31),
    recorded_at=moments,
)
def test_the_writers_spliced_body_is_exactly_the_encoded_record(
    envelope: dict[str, Any],
    metadata: dict[str, Any],
    position: int,
    version: int,
    recorded_at: datetime,
) -> None:
    """The writer splices place and time into a body drafted before (``infra.sqlite.drafts``):
    the bytes must be those ``encode`` gives, or the hash chain and every reader's
    decoding would disagree with what a full encode produces."""
    draft_ = draft(Submission(canonical(parse_envelope(envelope)), "health", metadata))
    placed = draft_.record(position, version, recorded_at)

    body = draft_.body(recorded_at_bytes(recorded_at), position, version)

    assert body == encode(placed)
    assert decode(body) == placed


@st.composite
def valid_bodies(draw: st.DrawFn) -> Any:
    """A valid envelope, or a batch of them (some large enough to try as a batch first)."""
    envelopes = draw(st.lists(valid_envelopes(), min_size=1, max_size=12))
    if len(envelopes) == 1 and draw(st.booleans()):
        return envelopes[0]
    return {"events": envelopes}


@FUZZ
@given(body=bodies | valid_bodies())
def test_parsing_from_bytes_accepts_exactly_what_parsing_the_decoded_body_does(
    body: Any,
) -> None:
    """``parse_submission_json`` (pydantic's JSON parser, the ingest happy path) and
    ``parse_submission`` of the decoded body agree on what is valid, and on the
    envelopes."""
    try:
        raw = orjson.dumps(body)
    except (TypeError, orjson.JSONEncodeError):
        return  # no JSON for it (an integer beyond 64 bits): nothing could send it
    decoded = orjson.loads(raw)
    try:
        expected = [canonical(e) for e in parse_submission(decoded)]
    except ValidationError:
        expected = None

    parsed = parse_submission_json(raw)

    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None
        envelopes, batch = parsed
        assert [canonical(e) for e in envelopes] == expected
        assert batch == (isinstance(decoded, dict) and "events" in decoded)
