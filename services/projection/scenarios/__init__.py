"""Demo and test scenarios: whole cases as the agencies would post them.

A scenario is a JSON list, in the order the agencies recorded the events, of::

    {"slug": "ck-01-999-call", "agency": "police", "source": "SCR 3.1.8",
     "note": "...", "post_after": "2017-01-02T21:00:00+00:00", "envelope": {...}}

``envelope`` is exactly what the agency service is sent; ``event_id`` is
``uuid5(SCENARIO_NAMESPACE, slug)`` so ids are stable across edits. ``recorded_at``
is set by the server, so an event recorded late is placed late in the file and
carries ``post_after``, the moment it was really recorded. ``source`` cites the
review paragraph; ``note`` says what the data cannot. Each scenario is its own
case, named like the scenario, so both can live in one store.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

SCENARIO_NAMESPACE = uuid.UUID("9b2f6c1e-4a7d-5e3b-8c0f-5afe9a4d0001")

SCENARIOS: dict[str, str] = {
    "child-k": "Child K serious case review, 31.12.16-2.1.17, as the agencies recorded it.",
    "child-k-good-practice": "The same case handled as procedures expect: no finding.",
}


@dataclass(frozen=True, slots=True)
class ScenarioEvent:
    agency: str
    envelope: dict[str, Any]
    slug: str = ""
    post_after: datetime | None = None
    """When the event was really recorded, if well after it occurred."""
    source: str = ""
    note: str = ""

    @property
    def event_id(self) -> str:
        return str(self.envelope["event_id"])

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromisoformat(str(self.envelope["occurred_at"]))


def event_id_for(slug: str) -> str:
    """The deterministic event id a scenario gives the event called ``slug``."""
    return str(uuid.uuid5(SCENARIO_NAMESPACE, slug))


def load_scenario(name: str) -> list[ScenarioEvent]:
    """The named scenario's events in posting order; ``KeyError`` if unknown."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    text = resources.files(__package__).joinpath(f"{name}.json").read_text("utf-8")
    return [_event(item) for item in json.loads(text)]


def _event(item: dict[str, Any]) -> ScenarioEvent:
    post_after = item.get("post_after")
    return ScenarioEvent(
        agency=item["agency"],
        envelope=item["envelope"],
        slug=item.get("slug", ""),
        post_after=datetime.fromisoformat(post_after) if post_after else None,
        source=item.get("source", ""),
        note=item.get("note", ""),
    )
