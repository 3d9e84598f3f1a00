"""The linker, given events: strong identifiers join cases with no agreement
between agencies; a weak match is proposed, never merged, until confirmed;
rejection silences a proposal; unlinking splits; the joint id is the earliest case."""

from datetime import UTC, datetime
from itertools import count
from typing import Any

from events import Submission, canonical, parse_envelope
from events.records import RecordedEvent
from services.projection.domain.identity import Linker, Regrouping
from tests.support.factories import make_envelope

NOW = datetime(2024, 3, 1, tzinfo=UTC)
_positions = count(1)
CHILD = {"ref": "child-k", "name": "Child K", "date_of_birth": "2012-05-01", "postcode": "CF31 1AA"}


def event(
    case_id: str, type_name: str = "concern.observed", agency: str = "health", **extra: Any
) -> RecordedEvent:
    envelope = make_envelope(type_name, case_id=case_id, **extra.pop("data_overrides", {}))
    envelope.update(extra)
    submission = Submission(canonical(parse_envelope(envelope)), agency)
    return RecordedEvent.from_submission(
        submission, position=next(_positions), stream_version=1, recorded_at=NOW
    )


def about(case_id: str, agency: str = "health", **identifiers: str) -> RecordedEvent:
    return event(case_id, agency=agency, subjects=[{"ref": "child-k", **identifiers}])


def decision(type_name: str, case_id: str, other: str, agency: str = "edt") -> RecordedEvent:
    return event(case_id, type_name, agency, data_overrides={"other_case_id": other})


def linker_of(*events: RecordedEvent) -> Linker:
    linker = Linker()
    for each in events:
        linker.observe(each)
    return linker


def test_a_shared_nhs_number_joins_two_agencies_cases_under_the_earliest() -> None:
    linker = linker_of(
        about("HLTH-1", nhs_number="9990000018"),
        event("CSC-9", agency="children_social_care"),
    )

    change = linker.observe(about("CSC-9", "children_social_care", nhs_number="9990000018"))

    assert change == Regrouping(
        retired=frozenset({"CSC-9", "HLTH-1"}), groups={"HLTH-1": frozenset({"HLTH-1", "CSC-9"})}
    )
    assert linker.joint_id("CSC-9") == linker.joint_id("HLTH-1") == "HLTH-1"


def test_each_strong_identifier_joins_but_different_values_do_not() -> None:
    linker = linker_of(
        about("P-1", "police", police_person_id="NOM-7"),
        about("P-2", "police", police_person_id="NOM-7"),
        about("L-1", "edt", la_person_id="LA-55"),
        about("L-2", "edt", la_person_id="LA-55"),
        about("H-1", nhs_number="9990000018"),
        about("H-2", nhs_number="9990000026"),
    )

    assert linker.members("P-2") == {"P-1", "P-2"}
    assert linker.members("L-2") == {"L-1", "L-2"}
    assert linker.members("H-1") == {"H-1"}


def test_an_event_without_identity_changes_nothing() -> None:
    linker = linker_of(about("A", nhs_number="9990000018"))

    assert linker.observe(event("A")) is None
    assert linker.observe(about("B", nhs_number="9990000026")) is None


def test_a_weak_match_is_proposed_not_merged_until_confirmed() -> None:
    linker = linker_of(about("POL-1", "police", **CHILD), about("HLTH-1", **CHILD))

    assert linker.joint_id("HLTH-1") == "HLTH-1"
    assert [p.cases for p in linker.proposals()] == [("HLTH-1", "POL-1")]

    change = linker.observe(decision("link.confirmed", "HLTH-1", "POL-1"))

    assert change is not None and change.groups == {"POL-1": frozenset({"POL-1", "HLTH-1"})}
    assert linker.proposals() == []


def test_a_rejected_match_is_no_longer_proposed_and_stays_apart() -> None:
    linker = linker_of(
        about("POL-1", "police", **CHILD),
        about("HLTH-1", **CHILD),
        decision("link.rejected", "HLTH-1", "POL-1"),
    )

    assert linker.proposals() == []
    assert linker.joint_id("HLTH-1") == "HLTH-1"


def test_weak_matches_with_different_nhs_numbers_are_not_proposed() -> None:
    linker = linker_of(
        about("H-1", **CHILD, nhs_number="9990000018"),
        about("H-2", **CHILD, nhs_number="9990000026"),
    )

    assert linker.proposals() == []


def test_an_explicit_proposal_is_listed_with_its_proposer_until_decided() -> None:
    linker = linker_of(decision("link.proposed", "POL-1", "EDT-4", agency="police"))

    assert [(p.cases, p.proposed_by) for p in linker.proposals()] == [
        (("EDT-4", "POL-1"), "police")
    ]
    linker.observe(decision("link.rejected", "EDT-4", "POL-1"))
    assert linker.proposals() == []


def test_unlinking_splits_a_joint_case_and_a_later_link_joins_it_again() -> None:
    linker = linker_of(
        about("HLTH-1", nhs_number="9990000018"),
        about("CSC-9", "children_social_care", nhs_number="9990000018"),
    )

    split = linker.observe(decision("case.unlinked", "CSC-9", "HLTH-1"))

    assert split is not None and split.retired == {"HLTH-1"}
    assert split.groups == {"HLTH-1": {"HLTH-1"}, "CSC-9": {"CSC-9"}}
    assert linker.observe(about("CSC-9", "children_social_care", nhs_number="9990000018")) is None
    linker.observe(decision("case.linked", "CSC-9", "HLTH-1"))
    assert linker.members("CSC-9") == {"HLTH-1", "CSC-9"}


def test_unlinking_one_pair_keeps_the_other_links_of_the_joint_case() -> None:
    linker = linker_of(
        about("A", nhs_number="9990000018"),
        about("B", "police", police_person_id="NOM-1"),
        decision("case.linked", "B", "A", agency="police"),
        about("C", nhs_number="9990000018"),
    )
    assert linker.members("A") == {"A", "B", "C"}

    linker.observe(decision("case.unlinked", "B", "A"))

    assert linker.members("A") == {"A", "C"}
    assert linker.members("B") == {"B"}


def test_the_joint_id_is_stable_as_later_cases_join() -> None:
    linker = linker_of(about("FIRST", nhs_number="9990000018"), event("SECOND"), event("THIRD"))

    linker.observe(about("THIRD", nhs_number="9990000018"))
    linker.observe(decision("case.linked", "SECOND", "THIRD"))

    assert {linker.joint_id(case) for case in ("FIRST", "SECOND", "THIRD")} == {"FIRST"}


def test_search_finds_holders_by_identifier_and_by_name_and_birth() -> None:
    linker = linker_of(
        about("H-1", **CHILD, nhs_number="9990000018"), about("P-1", "police", **CHILD)
    )

    assert linker.holders("nhs_number", "9990000018") == ["H-1"]
    assert linker.born("  child   K ", "2012-05-01") == ["H-1", "P-1"]


def test_an_event_joining_two_existing_joint_cases_retires_both() -> None:
    linker = linker_of(
        about("A", nhs_number="9990000018"),
        about("A2", nhs_number="9990000018"),
        about("B", "police", police_person_id="NOM-1"),
        about("B2", "police", police_person_id="NOM-1"),
        event("C"),
    )

    change = linker.observe(about("C", nhs_number="9990000018", police_person_id="NOM-1"))

    assert change is not None
    assert {"A", "B", "C"} <= change.retired
    assert change.groups == {"A": frozenset({"A", "A2", "B", "B2", "C"})}
