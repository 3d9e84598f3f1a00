"""The pure sealing step: which links extend the chain, and how one page of
sealed links is checked against what the store holds."""

import pytest

from infra.integrity.sealing import ChainHead, SealingGap, StoredBody, after, check, seal
from infra.store import chain


def bodies(n: int, first: int = 1) -> list[StoredBody]:
    return [StoredBody(p, f"e{p}", f'{{"n":{p}}}'.encode()) for p in range(first, first + n)]


def start() -> chain.Verified:
    return chain.Verified(0, chain.GENESIS, 0)


def test_sealing_from_genesis_gives_the_same_hashes_as_the_per_row_chain() -> None:
    stored = bodies(4)

    links = seal(ChainHead(), stored)

    expected, prev = [], chain.GENESIS
    for b in stored:
        prev = chain.link(prev, b.body)
        expected.append(prev.hex())
    assert [link.chain_hash for link in links] == expected
    assert [(link.position, link.event_id) for link in links] == [(p, f"e{p}") for p in range(1, 5)]


def test_bodies_already_sealed_are_skipped_so_a_redelivery_seals_nothing_twice() -> None:
    first = seal(ChainHead(), bodies(3))
    head = after(ChainHead(), first, revision=0)

    more = seal(head, bodies(5))

    assert [link.position for link in more] == [4, 5]
    assert more == seal(ChainHead(), bodies(5))[3:]


def test_a_gap_in_the_bodies_is_refused_rather_than_sealed() -> None:
    with pytest.raises(SealingGap):
        seal(ChainHead(), [*bodies(2), *bodies(1, first=4)])


def test_a_page_matching_its_sealed_links_is_intact() -> None:
    stored = bodies(5)

    result = check(start(), seal(ChainHead(), stored), stored)

    assert result.broken is None and result.position == 5 and result.checked == 5


def test_pages_continue_one_another() -> None:
    stored = bodies(6)
    links = seal(ChainHead(), stored)

    first = check(start(), links[:3], stored[:3])
    second = check(first, links[3:], stored[3:])

    assert second.broken is None and second.checked == 6
    assert second.chain_hash.hex() == links[-1].chain_hash


def test_an_edited_body_breaks_at_its_position() -> None:
    stored = bodies(5)
    links = seal(ChainHead(), stored)
    stored[2] = StoredBody(3, "e3", b'{"n":33}')

    result = check(start(), links, stored)

    assert result.broken == chain.Break(3, "the stored event does not match its chain hash")
    assert result.position == 2


def test_another_event_where_one_was_sealed_is_named() -> None:
    stored = bodies(5)
    links = seal(ChainHead(), stored)
    shifted = [StoredBody(b.position - 1, b.event_id, b.body) for b in stored[3:]]

    result = check(start(), links, [*stored[:2], *shifted])

    assert result.broken is not None and result.broken.position == 3
    assert "e3 was sealed here; the store holds e4" in result.broken.reason


def test_a_sealed_event_the_store_no_longer_holds_is_reported() -> None:
    stored = bodies(4)

    result = check(start(), seal(ChainHead(), stored), stored[:3])

    assert result.broken is not None and result.broken.position == 4
    assert "no longer holds it" in result.broken.reason


def test_a_chain_stream_that_skips_a_position_is_reported_there() -> None:
    stored = bodies(4)
    links = seal(ChainHead(), stored)

    result = check(start(), [*links[:2], links[3]], stored)

    assert result.broken is not None and result.broken.position == 3
    assert "chain stream holds position 4" in result.broken.reason
