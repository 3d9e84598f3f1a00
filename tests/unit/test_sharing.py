"""``Sharing``: equal values become one object, within a bounded table."""

from events.sharing import Sharing


def test_equal_keys_give_the_first_value_and_new_keys_their_own() -> None:
    sharing = Sharing()
    first = sharing.one(("child-k",), ("child-k",))
    again = sharing.one(("child-k",), tuple(["child-k"]))
    other = sharing.one(("sibling",), ("sibling",))

    assert again is first
    assert other == ("sibling",)


def test_an_unhashable_key_keeps_the_value_unshared() -> None:
    value = {"role": "officer", "teams": ["cait"]}

    assert Sharing().one(tuple(value.items()), value) is value


def test_the_table_empties_when_full_so_it_never_outgrows_its_capacity() -> None:
    sharing = Sharing(capacity=2)
    a = sharing.one("a", ["a"])
    sharing.one("b", ["b"])
    sharing.one("c", ["c"])  # full: emptied, then holds "c"

    assert sharing.one("a", ["a again"]) is not a
