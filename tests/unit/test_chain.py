"""The hash chain as pure functions: what verification reports for each tamper."""

from infra.store import chain
from infra.store.chain import GENESIS, StoredLink


def _chained(bodies: list[bytes]) -> list[StoredLink]:
    links, prev = [], GENESIS
    for position, body in enumerate(bodies, start=1):
        prev = chain.link(prev, body)
        links.append(StoredLink(position, body, prev.hex()))
    return links


BODIES = [f'{{"position":{i},"data":"event {i}"}}'.encode() for i in range(1, 6)]


def test_an_untouched_chain_verifies_to_its_head() -> None:
    links = _chained(BODIES)

    result = chain.verify(links)

    assert result.broken is None
    assert (result.position, result.checked) == (5, 5)
    assert result.chain_hash.hex() == links[-1].chain_hash


def test_one_changed_byte_breaks_the_chain_at_that_event() -> None:
    links = _chained(BODIES)
    tampered = bytearray(links[2].body)
    tampered[5] ^= 0x01
    links[2] = StoredLink(3, bytes(tampered), links[2].chain_hash)

    result = chain.verify(links)

    assert result.broken is not None and result.broken.position == 3
    assert result.position == 2


def test_a_deleted_event_is_reported_as_missing_at_its_position() -> None:
    links = _chained(BODIES)
    del links[1]

    result = chain.verify(links)

    assert result.broken is not None and result.broken.position == 2
    assert "missing" in result.broken.reason


def test_two_swapped_events_break_at_the_first_of_them() -> None:
    links = _chained(BODIES)
    second, third = links[1], links[2]
    links[1] = StoredLink(2, third.body, third.chain_hash)
    links[2] = StoredLink(3, second.body, second.chain_hash)

    assert chain.verify(links).broken == chain.Break(
        2, "the stored event does not match its chain hash"
    )


def test_leaf_and_link_are_domain_separated() -> None:
    body = b"x" * 65
    assert chain.leaf(body) != chain.link(body[:32], body[32:])


def test_verifying_from_a_later_position_starts_from_the_stored_hash_before_it() -> None:
    links = _chained(BODIES)

    result = chain.verify(links[3:], start=4, prev=bytes.fromhex(links[2].chain_hash or ""))

    assert result.broken is None and result.checked == 2


def test_an_unchained_event_is_a_break() -> None:
    links = _chained(BODIES)
    links[0] = StoredLink(1, links[0].body, None)

    assert chain.verify(links).broken == chain.Break(1, "the event carries no chain hash")
