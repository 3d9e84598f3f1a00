"""The projection follows links: Child K's three agencies, each posting under its
own case id with the children's NHS numbers, fold into one joint case that raises
the review's findings; kept apart (no identifiers) they miss findings that only
the joint picture shows; unlinking reverts; replay as of a moment links as then."""

from dataclasses import replace
from datetime import timedelta

from events.records import RecordedEvent
from services.projection.casebook import CaseBook
from services.projection.domain import evaluate
from services.projection.domain.rules import default_policy
from services.projection.links import LinkedCases
from tests.support.scenario import CHILD_K_EVALUATE_AT, CHILD_K_EXPECTED, ids, recorded_events

OWN_CASE = {"police": "SWP-OCC-0042", "edt": "EDT-2016-1187", "health": "HB-ED-0931"}


def child_k_by_agency(*, identifiers: bool = True) -> list[RecordedEvent]:
    """Child K as three agencies would post it: each its own case id, no agreement."""
    return [
        replace(
            event,
            case_id=OWN_CASE[event.agency],
            subjects=event.subjects if identifiers else (),
        )
        for event in recorded_events("child-k")
    ]


def linked(events: list[RecordedEvent]) -> LinkedCases:
    links = LinkedCases(CaseBook(default_policy()))
    for event in events:
        links.apply([event])
    return links


def findings(links: LinkedCases) -> set[tuple[str, tuple[str, ...]]]:
    slug = {v: k for k, v in ids("child-k").items()}
    return {
        (f.rule, tuple(sorted(slug[t] for t in f.trigger_event_ids)))
        for case_id in links.cases.case_ids()
        for f in links.cases.findings(case_id, CHILD_K_EVALUATE_AT)
    }


EXPECTED = {(x.rule, tuple(sorted(x.triggers))) for x in CHILD_K_EXPECTED}


def test_three_agencies_own_case_ids_and_a_shared_nhs_number_make_one_joint_case() -> None:
    links = linked(child_k_by_agency())

    assert list(links.cases.case_ids()) == ["SWP-OCC-0042"]  # the earliest case names it
    assert links.linker.members("HB-ED-0931") == set(OWN_CASE.values())
    assert findings(links) == EXPECTED


def test_loaded_at_start_up_the_joint_case_is_the_same_as_followed_live() -> None:
    links = LinkedCases(CaseBook(default_policy()))
    links.load(child_k_by_agency())

    assert findings(links) == EXPECTED


def test_kept_apart_the_agencies_miss_what_only_the_joint_picture_shows() -> None:
    apart = findings(linked(child_k_by_agency(identifiers=False)))

    # Police and EDT placing Child K on different legal bases is seen only jointly;
    # apart, EDT's answer and the strategy discussion look missing to the police.
    assert EXPECTED - apart == {
        ("legal-status-conflict", ("ck-24-placed-police", "ck-25-placed-edt"))
    }
    assert {rule for rule, _ in apart - EXPECTED} == {
        "not-shared",
        "request-unanswered",
        "strategy-discussion-missing",
    }


def test_a_finding_keeps_its_id_when_its_case_is_linked() -> None:
    def by_trigger(links: LinkedCases) -> dict[tuple[str, ...], str]:
        return {
            (f.rule, f.to_agency or "", *sorted(f.trigger_event_ids)): f.finding_id
            for case_id in links.cases.case_ids()
            for f in links.cases.findings(case_id, CHILD_K_EVALUATE_AT)
        }

    joint = by_trigger(linked(child_k_by_agency()))
    apart = by_trigger(linked(child_k_by_agency(identifiers=False)))

    shared = joint.keys() & apart.keys()
    assert len(shared) >= 10
    assert all(joint[key] == apart[key] for key in shared)


def test_unlinking_splits_a_case_off_and_its_picture_reverts() -> None:
    events = child_k_by_agency()
    links = linked(events)
    last = events[-1]
    unlink = [
        replace(
            last,
            event_id=f"unlink-{other}",
            case_id="EDT-2016-1187",
            agency="edt",
            type="case.unlinked",
            data={"other_case_id": other, "reason": "Wrong child."},
            subjects=(),
            position=last.position + n,
        )
        for n, other in enumerate(["SWP-OCC-0042", "HB-ED-0931"], start=1)
    ]

    fresh, touched = links.apply(unlink)

    assert len(fresh) == 2 and "SWP-OCC-0042" in touched
    assert sorted(links.cases.case_ids()) == ["EDT-2016-1187", "SWP-OCC-0042"]
    edt = links.cases.state("EDT-2016-1187")
    police_and_health = links.cases.state("SWP-OCC-0042")
    assert edt is not None and {e.agency for e in edt.events} == {"edt"}
    assert police_and_health is not None  # their shared NHS number still joins them
    assert {e.agency for e in police_and_health.events} == {"police", "health"}


def test_replay_as_of_before_the_link_shows_only_the_cases_own_events() -> None:
    events = child_k_by_agency(identifiers=False)
    link_at = max(e.occurred_at for e in events) + timedelta(hours=1)
    link = replace(
        events[-1],
        event_id="link-1",
        case_id="HB-ED-0931",
        agency="health",
        type="case.linked",
        data={"other_case_id": "SWP-OCC-0042", "reason": "Same child."},
        occurred_at=link_at,
        position=events[-1].position + 1,
    )
    links = linked([*events, link])

    before = links.state_as_of("HB-ED-0931", link_at - timedelta(minutes=1))
    after = links.state_as_of("HB-ED-0931", link_at)

    assert {e.agency for e in before.events} == {"health"}
    assert {e.agency for e in after.events} == {"health", "police"}
    assert after.case_id == "SWP-OCC-0042"


def test_evaluate_of_the_joint_state_names_the_joint_case() -> None:
    links = linked(child_k_by_agency())
    state = links.cases.state("SWP-OCC-0042")

    assert state is not None
    assert {f.case_id for f in evaluate(state, CHILD_K_EVALUATE_AT)} == {"SWP-OCC-0042"}
