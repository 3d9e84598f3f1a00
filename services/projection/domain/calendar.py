"""Deadlines in elapsed time or in working days (England and Wales bank holidays).

Two kinds of duration, because the timescales the rules cite come in both:

* **Elapsed** — ``"30m"``, ``"1h"``, ``"24h"``, ``"3 days"``: that many minutes of
  real time. Clock changes do not stretch or shrink it (``24h`` across the last
  Sunday of October is still 24 hours), because a child's risk does not wait for
  the clocks.
* **Working days** — ``"1 working day"``, ``"15 working days"``: Working Together's
  unit. A working day is a Monday to Friday, in Europe/London, that is not a bank
  holiday. The day on which the clock starts never counts, even when it is a
  working day, so *N working days from* ``start`` ends at **the end of the Nth
  working day after start's local date** — expressed as local midnight at the
  start of the following calendar day. An action at any moment of that Nth
  working day is in time.

  Example: from Sat 31 Dec 2016 (any time), Sun 1 Jan and the bank holiday Mon
  2 Jan are skipped; the first working day is Tue 3 Jan 2017, so ``1 working day``
  ends at Wed 4 Jan 2017 00:00 Europe/London (end of Tue 3 Jan).

Results are always timezone-aware and in UTC.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

_ELAPSED = re.compile(r"^\s*(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?)\s*$", re.I)
_WORKING = re.compile(r"^\s*(\d+)\s*working\s+days?\s*$", re.I)
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440}


@dataclass(frozen=True, slots=True)
class Duration:
    """An elapsed ``timedelta`` or a count of working days (exactly one is set)."""

    text: str
    elapsed: timedelta | None = None
    working_days: int | None = None


@lru_cache(maxsize=256)
def parse_duration(text: str) -> Duration:
    """Parse ``"24h"``, ``"30m"``, ``"3 days"``, ``"1 working day"``; ValueError otherwise."""
    if m := _WORKING.match(text):
        return Duration(text=text.strip(), working_days=int(m.group(1)))
    if m := _ELAPSED.match(text):
        minutes = int(m.group(1)) * _UNIT_MINUTES[m.group(2)[0].lower()]
        return Duration(text=text.strip(), elapsed=timedelta(minutes=minutes))
    raise ValueError(f"not a duration: {text!r} (try '30m', '24h' or '1 working day')")


@lru_cache(maxsize=64)
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Where working days are counted: a timezone and a bank-holiday subdivision."""

    timezone: str = "Europe/London"
    subdivision: str = "ENG"

    def __post_init__(self) -> None:
        """Fail at start-up, naming the bad value, not at the first working-day deadline."""
        try:
            ZoneInfo(self.timezone)
            _bank_holidays(self.subdivision, 2017)
        except (LookupError, ValueError, NotImplementedError) as e:
            raise ValueError(
                f"bad working calendar {self.timezone!r}/{self.subdivision!r}: {e}"
            ) from e

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _bank_holidays(self.subdivision, day.year)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """``start`` plus ``duration``, in UTC (see the module docstring)."""
        if duration.elapsed is not None:
            end = start + duration.elapsed
            return end if end.tzinfo is UTC else end.astimezone(UTC)
        return self._add_working_days(start, duration.working_days or 0)

    def _add_working_days(self, start: datetime, count: int) -> datetime:
        zone = ZoneInfo(self.timezone)
        day = start.astimezone(zone).date()
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        return end.astimezone(UTC)


ENGLAND = WorkingCalendar()


def add(start: datetime, duration: Duration | str, calendar: WorkingCalendar = ENGLAND) -> datetime:
    """``start`` plus a duration (parsed if given as text), on ``calendar``."""
    parsed = parse_duration(duration) if isinstance(duration, str) else duration
    return calendar.add(start, parsed)
