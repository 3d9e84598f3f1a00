"""Event ids an envelope names (``about``, ``information_shared``) that the case
does not hold: accepted, and flagged in the record's metadata.

Why accept: agencies post asynchronously, so a share can arrive before the event
it is about, and the share itself is a fact a review needs. Rejecting it would
lose that record. Why flag: the joint picture gives no credit for sharing an
event it cannot find, and ``metadata.unresolved_refs`` says so on the record
(see ``docs/security.md``). Only ids of the same case resolve.
"""

import asyncio
import logging
from collections.abc import Sequence

from events import Submission
from infra.store.port import EventStore

log = logging.getLogger("safeguard.ingest")

REFERENCES = {
    "information.shared": "about",
    "request.made": "about",
    "strategy_discussion.held": "information_shared",
}
LOOKUPS_BEFORE_CASE_READ = 32
"""Above this many ids, one read of each case beats one lookup per id."""


def _named(sub: Submission) -> list[str]:
    field = REFERENCES.get(str(sub.envelope.get("type")))
    data = sub.envelope.get("data") or {}
    return [str(i) for i in data.get(field) or ()] if field else []


async def flag_unresolved(submissions: list[Submission], store: EventStore) -> list[Submission]:
    """The submissions, with ``metadata.unresolved_refs`` where an id does not resolve."""
    named = {i: ids for i, sub in enumerate(submissions) if (ids := _named(sub))}
    if not named:
        return submissions
    known = {(s.case_id, s.event_id) for s in submissions}
    known |= await _stored(store, [(submissions[i].case_id, ids) for i, ids in named.items()])
    flagged = list(submissions)
    for i, ids in named.items():
        sub = submissions[i]
        missing = [x for x in ids if (sub.case_id, x) not in known]
        if missing:
            log.warning("event names ids its case does not hold", extra={"event_id": sub.event_id})
            metadata = {**sub.metadata, "unresolved_refs": missing}
            flagged[i] = Submission(sub.envelope, sub.agency, metadata)
    return flagged


async def _stored(
    store: EventStore, wanted: Sequence[tuple[str, list[str]]]
) -> set[tuple[str, str]]:
    pairs = {(case_id, x) for case_id, ids in wanted for x in ids}
    if len(pairs) > LOOKUPS_BEFORE_CASE_READ:
        cases = {case_id for case_id, _ in pairs}
        streams = await asyncio.gather(*(store.read_case(c) for c in cases))
        return {(e.case_id, e.event_id) for stream in streams for e in stream}
    found = await asyncio.gather(*(store.get(x) for _, x in pairs))
    return {(e.case_id, e.event_id) for e in found if e is not None}
