"""Settings that decide who is believed: trusted proxies and the historical-import horizon."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from infra.config import Settings
from infra.config.rules import longest_span
from services.http.server import proxy_options


def test_forwarded_headers_are_ignored_unless_a_proxy_is_named() -> None:
    assert Settings().forwarded_allow_ips is None
    assert proxy_options(None) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    assert proxy_options("10.0.0.2") == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.2"}


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert Settings(forwarded_allow_ips=" 10.0.0.2, 172.18.0.0/16 ").forwarded_allow_ips == (
        "10.0.0.2,172.18.0.0/16"
    )
    with pytest.raises(ValidationError, match="forwarded_allow_ips"):
        Settings(forwarded_allow_ips="gateway")


def test_a_rule_override_longer_than_the_historical_horizon_stops_start_up() -> None:
    overrides = {"strategy-discussion-missing": {"deadline": "3 working days"}}

    with pytest.raises(ValidationError, match=r"strategy-discussion-missing\.deadline"):
        Settings(rules={"overrides": overrides})

    widened = Settings(rules={"overrides": overrides}, ingest={"historical_horizon": "16d"})
    assert widened.ingest.historical_horizon_delta == timedelta(days=16)


def test_working_days_are_bounded_generously_in_calendar_days() -> None:
    assert longest_span("1 working day") == timedelta(days=12)
    assert longest_span("24h") == timedelta(hours=24)
    assert longest_span("soon") is None


def test_the_default_horizon_outlasts_every_built_in_rule_deadline() -> None:
    from services.projection.domain.rules import RULES

    deadlines = [
        text
        for rule in RULES.values()
        for text in (rule.default_deadline, *(d for _, d in rule.deadlines_by_type))
        if text is not None
    ]
    spans = [longest_span(text) for text in deadlines]

    assert None not in spans
    assert max(s for s in spans if s is not None) <= Settings().ingest.historical_horizon_delta
