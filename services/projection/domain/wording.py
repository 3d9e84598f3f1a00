"""Words a duty manager reads at a glance: local times, agency names, lists."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

AGENCY_NAMES = {
    "police": "police",
    "edt": "EDT",
    "health": "health",
    "education": "education",
    "children_social_care": "children's social care",
    "safeguard": "Safeguard",
}


@dataclass(frozen=True, slots=True)
class Wording:
    """A rule's words for one obligation: what happened, what is missing, what was done."""

    what: str
    missing: str = ""
    done: str = ""


def agency(name: str, *, start: bool = False) -> str:
    label = AGENCY_NAMES.get(name, name)
    return label[0].upper() + label[1:] if start else label


def agencies(names: Iterable[str]) -> str:
    return join(agency(n) for n in names)


def join(items: Iterable[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    seq = list(items)
    if len(seq) <= 1:
        return "".join(seq)
    return ", ".join(seq[:-1]) + " and " + seq[-1]


@lru_cache(maxsize=16384)
def when(at: datetime, zone: str, *, same_day_as: datetime | None = None) -> str:
    """ "1 Jan 16:40" in local time; just "17:40" when on the same local day as ``same_day_as``.
    Remembered: every finding's explanation names its times, at every read of a case."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    clock = f"{local:%H:%M}"
    if same_day_as is not None and same_day_as.astimezone(tz).date() == local.date():
        return clock
    return f"{local.day} {local:%b} {clock}"


def span(delta: timedelta) -> str:
    """A lateness such as "45m", "2h 5m" or "3 days 4h"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours}h"] if hours else []
    parts += [f"{mins}m"] if mins or not parts else []
    return " ".join(parts)
