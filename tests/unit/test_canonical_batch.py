"""``canonical_all`` (one serializer call per batch) stores exactly what
``canonical`` (one call per envelope) would: same keys, order and values."""

import orjson

from events import CATALOG, canonical, parse_envelope
from events.envelope import canonical_all
from tests.support.factories import make_envelope


def test_canonical_all_gives_the_same_bytes_as_canonical_for_every_catalog_type() -> None:
    envelopes = [parse_envelope(make_envelope(name)) for name in sorted(CATALOG)]

    batch = canonical_all(envelopes)

    assert [orjson.dumps(e) for e in batch] == [orjson.dumps(canonical(e)) for e in envelopes]


def test_canonical_all_keeps_optional_fields_and_offsets_as_canonical_does() -> None:
    envelope = make_envelope(occurred_at="2024-03-01T21:30:00.1+05:30")
    parsed = parse_envelope({**envelope, "correlation_id": "00000000-0000-4000-8000-0000000000C1"})

    assert orjson.dumps(canonical_all([parsed])[0]) == orjson.dumps(canonical(parsed))
