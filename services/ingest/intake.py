"""A request body to canonical ``Submission``s: decode, check, validate.

Pure (no I/O): the service runs it inline, or a worker process runs it
(``services.ingest.validation``) for large batches. What crosses the process
boundary is this module's ``Intake`` in, canonical JSON out, and a ``Problem``
on refusal, so either way the caller gets the same submissions or the same error.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from events import MAX_BATCH, Agency, Submission
from services.http.limits import parse_json
from services.http.problems import Unprocessable
from services.ingest.submissions import Built, build_submissions, build_submissions_from_json


@dataclass(frozen=True, slots=True)
class Intake:
    """What one request's body is checked against."""

    agency: Agency
    now: datetime
    max_skew: timedelta
    max_depth: int
    max_batch: int
    metadata: Mapping[str, Any]

    def submissions(self, raw: bytes) -> Built:
        """The body's submissions, and whether it was a batch; or a ``Problem``."""
        valid = build_submissions_from_json(raw, self)
        if valid is None:  # decoded and checked step by step, to say what is wrong
            valid = build_submissions(parse_json(raw, max_depth=self.max_depth), self)
        _check_batch_size(valid[0], self.max_batch)
        return valid

    def to_canonical_json(self, raw: bytes) -> bytes:
        """``submissions`` as a worker sends them back, with their digests (the
        worker has the time to spare; the service process has not):
        ``[is_batch, [envelope, ...], [digest, ...]]``. JSON is cheaper to cross a
        pipe than pickled dicts."""
        submissions, batch = self.submissions(raw)
        envelopes = [s.envelope for s in submissions]
        return orjson.dumps([batch, envelopes, [s.digest() for s in submissions]])

    def from_canonical_json(self, data: bytes) -> Built:
        batch, envelopes, digests = orjson.loads(data)
        metadata, agency = dict(self.metadata), self.agency  # shared, as inline
        submissions = [
            Submission(e, agency, metadata, d) for e, d in zip(envelopes, digests, strict=True)
        ]
        return submissions, batch


def _check_batch_size(submissions: list[Submission], max_batch: int) -> None:
    limit = min(max_batch, MAX_BATCH)
    if len(submissions) > limit:
        raise Unprocessable(
            f"a batch holds at most {limit} events; nothing was stored",
            errors=[{"loc": ["body", "events"], "msg": f"at most {limit}", "type": "too_long"}],
        )
