"""A linker restored from its saved inputs (cases in the order first seen, each
case's distinct subjects, the linking events) links as the one that saw every
event: same joint cases, same names, same proposals, same replay as of a moment."""

from dataclasses import replace
from datetime import timedelta

from services.projection.casebook import CaseBook
from services.projection.domain.rules import default_policy
from services.projection.links import LinkedCases
from tests.unit.test_identity_projection import OWN_CASE, child_k_by_agency


def test_a_restored_linker_links_as_the_live_one_after_a_link_and_an_unlink() -> None:
    events = child_k_by_agency()
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
            occurred_at=last.occurred_at + timedelta(hours=1),
            position=last.position + n,
        )
        for n, other in enumerate(["SWP-OCC-0042", "HB-ED-0931"], start=1)
    ]
    live = LinkedCases(CaseBook(default_policy()))
    live.apply([*events, *unlink])

    restored = LinkedCases(CaseBook(default_policy()))
    restored.restore(live.take_pending())

    for case_id in OWN_CASE.values():
        assert restored.joint_id(case_id) == live.joint_id(case_id)
        assert restored.linker.members(case_id) == live.linker.members(case_id)
    assert restored.linker.proposals() == live.linker.proposals()
    assert len(restored.pending.subjects) == 0  # nothing to save again
    assert live.joint_id("EDT-2016-1187") == "EDT-2016-1187"  # the unlink held
