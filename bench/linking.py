"""Linking benchmark: what joining cases by identifier costs the projection, side by
side with the same events folded case by case, in one run.

    python bench/linking.py                              # 1,000,000 events, 10,000 cases
    python bench/linking.py --cases 2000 --events-per-case 100   # 200,000 events

Half the cases share an NHS number with another agency's case (pairs), carried on
each case's first event, so the linked run folds 5,000 joint cases of two members
where the plain runs fold the same events either as 10,000 separate cases or, as
if the agencies had agreed case ids beforehand, under one shared case id per pair
(the baseline linking is measured against: the same joint cases, without linking).
Reports:

- rebuild rate: events/s to load every event at start-up, median of ``--repeats``
  (``CaseBook.load`` against ``LinkedCases.load``, which links first, then folds
  by joint case);
- ingest-to-finding: per event, the projection's work from a delivered event to its
  announced findings (apply, then the changed findings of the case it touched),
  median and 99th percentile, over the last events of the stream.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workload import workload

from events.identifiers import nhs_check_digit
from events.records import RecordedEvent
from services.projection.casebook import CaseBook
from services.projection.domain.rules import default_policy
from services.projection.links import LinkedCases

RECORDED = datetime(2024, 6, 1, tzinfo=UTC)


def nhs_number(n: int) -> str:
    """The ``n``th valid NHS number of the test range 999 000 0000 up."""
    base = 999_000_000
    while True:
        head = str(base + n)
        digit = nhs_check_digit(head)
        if digit is not None:
            return head + str(digit)
        n += 100_000  # a head with no check digit: one beyond the other cases


def stream(cases: int, per_case: int) -> list[RecordedEvent]:
    """The workload as recorded; case 2k and 2k+1 share an NHS number."""
    events: list[RecordedEvent] = []
    seen: set[str] = set()
    for batch in workload(cases, per_case):
        for sub in batch:
            event = RecordedEvent.from_submission(
                sub, position=len(events) + 1, stream_version=1, recorded_at=RECORDED
            )
            if event.case_id not in seen:
                seen.add(event.case_id)
                index = int(event.case_id.rsplit("-", 1)[1])
                subject = {"ref": "child", "nhs_number": nhs_number(index // 2)}
                event = replace(event, subjects=(subject,))
            events.append(event)
    return events


def shared_ids(events: list[RecordedEvent]) -> list[RecordedEvent]:
    """The same events with case 2k+1 posted under case 2k's id, as if agreed."""
    return [replace(e, case_id=f"case-{int(e.case_id[5:]) // 2 * 2:06d}") for e in events]


def rebuild_rate(events: list[RecordedEvent], linked: bool) -> tuple[float, int]:
    book = CaseBook(default_policy())
    started = time.perf_counter()
    if linked:
        LinkedCases(book).load(events)
    else:
        book.load(events)
    return len(events) / (time.perf_counter() - started), len(book)


def ingest_latencies(events: list[RecordedEvent], linked: bool, sample: int) -> list[float]:
    """Seconds per event for the last ``sample`` events, the rest loaded first."""
    book = CaseBook(default_policy())
    links = LinkedCases(book)
    head, tail = events[:-sample], events[-sample:]
    (links.load if linked else book.load)(head)
    at = datetime(2030, 1, 1, tzinfo=UTC)
    took: list[float] = []
    for event in tail:
        started = time.perf_counter()
        if linked:
            _, touched = links.apply([event])
        else:
            book.apply(event)
            touched = {event.case_id}
        for case_id in touched:
            book.changed(case_id, at, {})
        took.append(time.perf_counter() - started)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events-per-case", type=int, default=100)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3, help="rebuilds per run; median")
    args = parser.parse_args()
    events = stream(args.cases, args.events_per_case)
    print(f"{len(events):,} events, {args.cases:,} cases")
    runs = [("separate", events, False), ("shared id", shared_ids(events), False)]
    for label, run, linked in [*runs, ("linked", events, True)]:
        rates = [rebuild_rate(run, linked) for _ in range(args.repeats)]
        rate, folded = statistics.median(r for r, _ in rates), rates[0][1]
        took = sorted(ingest_latencies(run, linked, args.sample))
        p50 = statistics.median(took) * 1e6
        p99 = took[int(len(took) * 0.99)] * 1e6
        print(
            f"{label:>9}: rebuild {rate:,.0f} events/s ({folded:,} cases folded); "
            f"ingest-to-finding p50 {p50:,.0f} µs, p99 {p99:,.0f} µs"
        )


if __name__ == "__main__":
    main()
