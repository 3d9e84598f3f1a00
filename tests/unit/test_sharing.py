"""``Sharing``: equal values become one object, within a bounded table."""

from events.records import RecordedEvent
from events.sharing import Sharing, Words


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


def test_words_share_equal_short_strings_in_nested_data_and_change_no_value() -> None:
    words = Words(longest=12)
    first = {"child": "".join(["child", "-a"]), "adults": [{"person": "".join(["mo", "ther"])}]}
    second = {"child": "".join(["child", "-a"]), "adults": [{"person": "".join(["mo", "ther"])}]}
    first["summary"] = "".join(["Said the partner ", "pushed him."])
    long_text = "".join(["Said the partner ", "pushed him."])
    second["summary"] = long_text
    words.share(first)
    before = {**second, "adults": [dict(second["adults"][0])]}
    words.share(second)

    assert second == before
    assert second["child"] is first["child"]
    assert second["adults"][0]["person"] is first["adults"][0]["person"]
    assert second["summary"] is long_text  # longer than ``longest``: left alone


def test_records_of_one_transaction_share_one_recorded_at_whatever_comes_between() -> None:
    def record(event_id: str, recorded_at: str) -> RecordedEvent:
        return RecordedEvent.from_json(
            {
                "event_id": event_id,
                "case_id": "case-1",
                "type": "incident.reported",
                "occurred_at": "2025-01-03T18:00:00Z",
                "actor": {"role": "officer"},
                "data": {},
                "agency": "police",
                "recorded_at": recorded_at,
                "position": 1,
                "stream_version": 1,
            }
        )

    a = record("e-1", "2025-01-03T18:05:00.123456Z")
    record("e-2", "2025-01-03T18:06:00.000000Z")
    c = record("e-3", "2025-01-03T18:05:00.123456Z")

    assert c.recorded_at is a.recorded_at
