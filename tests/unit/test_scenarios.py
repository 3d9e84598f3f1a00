"""The demo scenarios are valid, postable, deterministic and faithful to their design."""

import json
from importlib import resources
from itertools import pairwise

import pytest

from events import Agency, may_post, parse_envelope
from services.projection.scenarios import SCENARIOS, event_id_for, load_scenario
from tests.support.scenario import recorded_events

ALLOWED_KEYS = {"slug", "agency", "envelope", "post_after", "source", "note"}


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_envelope_validates_against_the_contract(name: str) -> None:
    for item in load_scenario(name):
        parse_envelope(item.envelope)


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_event_is_posted_by_an_agency_allowed_to_post_its_type(name: str) -> None:
    for item in load_scenario(name):
        assert may_post(Agency(item.agency), item.envelope["type"]), item.slug


@pytest.mark.parametrize("name", SCENARIOS)
def test_event_ids_are_unique_and_derived_from_the_slug(name: str) -> None:
    events = load_scenario(name)
    assert len({e.event_id for e in events}) == len(events)
    assert len({e.slug for e in events}) == len(events)
    assert all(e.event_id == event_id_for(e.slug) for e in events)


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_files_carry_no_unknown_keys(name: str) -> None:
    raw = json.loads(
        resources.files("services.projection.scenarios").joinpath(f"{name}.json").read_text("utf-8")
    )
    assert all(set(item) <= ALLOWED_KEYS for item in raw)


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_is_one_case_named_like_it_of_20_to_35_events_over_the_bank_holiday(
    name: str,
) -> None:
    events = load_scenario(name)
    assert 20 <= len(events) <= 35
    assert {e.envelope["case_id"] for e in events} == {name}
    days = {e.occurred_at.date().isoformat() for e in events}
    assert days <= {"2016-12-31", "2017-01-01", "2017-01-02"}


@pytest.mark.parametrize("name", SCENARIOS)
def test_references_point_at_earlier_events_of_the_scenario(name: str) -> None:
    seen: set[str] = set()
    for e in load_scenario(name):
        data = e.envelope["data"]
        for ref in [*data.get("about", []), *data.get("information_shared", [])]:
            assert ref in seen, (e.slug, ref)
        seen.add(e.event_id)


@pytest.mark.parametrize("name", SCENARIOS)
def test_an_agency_only_shares_what_it_already_knows(name: str) -> None:
    known: dict[str, set[str]] = {}
    for e in load_scenario(name):
        data, agency = e.envelope["data"], e.agency
        known.setdefault(agency, set()).add(e.event_id)
        about = [*data.get("about", []), *data.get("information_shared", [])]
        assert set(about) <= known[agency], e.slug
        targets = (
            [data["to_agency"]]
            if "to_agency" in data
            else [a["agency"] for a in data.get("attendees", [])]
        )
        for target in targets:
            known.setdefault(target, set()).update(about)


def test_child_k_people_are_the_reviews_family() -> None:
    refs: set[str] = set()
    for e in load_scenario("child-k"):
        refs.update(e.envelope["children"])
        refs.update(
            a["person"] for a in e.envelope["data"].get("adults", []) if isinstance(a, dict)
        )
    assert refs == {
        "child-k",
        "sibling",
        "mother",
        "father",
        "maternal-grandmother",
        "maternal-grandfather",
        "siblings-father",
    }


def test_child_k_head_observation_is_recorded_two_days_after_it_was_made() -> None:
    late = recorded_events("child-k")[-1]
    assert late.type == "concern.observed"
    assert late.occurred_at.isoformat() == "2016-12-31T08:15:00+00:00"
    assert late.recorded_at.isoformat() == "2017-01-02T21:00:00+00:00"


@pytest.mark.parametrize("name", SCENARIOS)
def test_recorded_events_keep_file_order_and_never_record_backwards(name: str) -> None:
    events = recorded_events(name)
    assert [e.position for e in events] == list(range(1, len(events) + 1))
    assert all(a.recorded_at <= b.recorded_at for a, b in pairwise(events))
    assert all(e.recorded_at >= e.occurred_at for e in events)


def test_child_k_placement_bases_conflict_and_good_practice_bases_agree() -> None:
    def bases(name: str) -> set[str]:
        return {
            e.envelope["data"]["legal_basis"]
            for e in load_scenario(name)
            if e.envelope["type"] == "child.placed"
        }

    assert bases("child-k") == {"s20", "police_protection"}
    assert bases("child-k-good-practice") == {"s20"}


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="child-k"):
        load_scenario("nope")
