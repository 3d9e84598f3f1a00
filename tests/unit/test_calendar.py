"""Deadlines in elapsed time and in working days over the Child K bank-holiday weekend."""

from datetime import UTC, datetime, timedelta

import pytest

from services.projection.domain.calendar import WorkingCalendar, add, parse_duration


def test_hours_and_minutes_parse_to_elapsed_time():
    assert parse_duration("24h").elapsed == timedelta(hours=24)
    assert parse_duration("30m").elapsed == timedelta(minutes=30)
    assert parse_duration("3 days").elapsed == timedelta(days=3)


def test_working_days_parse_to_a_count():
    assert parse_duration("1 working day").working_days == 1
    assert parse_duration("3 working days").working_days == 3


@pytest.mark.parametrize("text", ["", "soon", "1 fortnight", "h24", "-1h"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_one_working_day_from_new_years_eve_2016_ends_with_tuesday_3_january():
    """Sat 31 Dec: Sun 1 Jan and bank holiday Mon 2 Jan do not count; Tue 3 Jan does."""
    start = datetime(2016, 12, 31, 3, 0, tzinfo=UTC)
    assert add(start, "1 working day") == datetime(2017, 1, 4, 0, 0, tzinfo=UTC)


def test_three_working_days_from_christmas_eve_2016_skip_both_substitute_holidays():
    """Sat 24 Dec; Mon 26 and Tue 27 Dec are bank holidays: Wed 28, Thu 29, Fri 30."""
    start = datetime(2016, 12, 24, 12, 0, tzinfo=UTC)
    assert add(start, "3 working days") == datetime(2016, 12, 31, 0, 0, tzinfo=UTC)


def test_the_day_the_clock_starts_never_counts_even_on_a_working_day():
    tuesday_morning = datetime(2017, 1, 3, 9, 0, tzinfo=UTC)
    assert add(tuesday_morning, "1 working day") == datetime(2017, 1, 5, 0, 0, tzinfo=UTC)


def test_working_days_end_at_london_midnight_in_summer_time():
    friday = datetime(2024, 7, 5, 10, 0, tzinfo=UTC)
    assert add(friday, "1 working day") == datetime(2024, 7, 8, 23, 0, tzinfo=UTC)


def test_elapsed_hours_are_real_hours_across_the_clock_change():
    before_change = datetime(2024, 10, 26, 12, 0, tzinfo=UTC)
    assert add(before_change, "24h") - before_change == timedelta(hours=24)


def test_welsh_bank_holidays_are_the_english_ones_here():
    wales = WorkingCalendar(subdivision="WLS")
    start = datetime(2016, 12, 31, 3, 0, tzinfo=UTC)
    assert wales.add(start, parse_duration("1 working day")) == datetime(2017, 1, 4, tzinfo=UTC)
