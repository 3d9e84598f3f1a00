"""Subscription settings fail fast with the field named."""

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.config.notifier import (
    NotifierSettings,
    Subscription,
    check_subscriptions,
    parse_duration,
)
from infra.config.settings import Settings
from tests.support.notifier_kit import SECRET

URL = "https://pager.example.org/hooks/safeguard"


def sub(**kw: object) -> Subscription:
    fields = {"name": "edt-duty-manager", "url": URL, "secret": SECRET, **kw}
    return Subscription.model_validate(fields)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("50ms", 0.05),
        ("5s", 5),
        ("15m", 900),
        ("2h", 7200),
        ("1d", 86400),
        ("1.5h", 5400),
    ],
)
def test_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "-5s", "1w"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_the_issue_toml_shape_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "safeguard.toml"
    config.write_text(f'''
[[subscriptions]]
name = "edt-duty-manager"
url = "{URL}"
secret = "{SECRET}"
agencies = ["edt"]
rules = ["not-shared"]
escalate_to = "edt-group-manager"
escalate_after = "15m"
retry_schedule = ["5s", "5m", "30m", "2h", "5h", "10h"]

[[subscriptions]]
name = "edt-group-manager"
url = "{URL}"
secret = "{SECRET}"
rules = []
''')
    monkeypatch.setenv("SAFEGUARD_CONFIG", str(config))
    settings = Settings()
    check_subscriptions(settings.subscriptions)
    assert settings.subscriptions[0].escalation_delay == timedelta(minutes=15)


def test_plain_http_is_refused_except_to_loopback() -> None:
    with pytest.raises(ValidationError, match="HTTPS"):
        sub(url="http://pager.example.org/hook")
    assert sub(url="http://127.0.0.1:9000/hook").url.startswith("http://127.0.0.1")
    assert sub(url="http://localhost:9000/hook")
    assert sub(url="http://[::1]:9000/hook")


@pytest.mark.parametrize("secret", ["whsec_...", "sk_live_abc", "whsec_" + "QUJD"])
def test_placeholder_or_malformed_secrets_stop_start_up(secret: str) -> None:
    with pytest.raises(ValidationError, match="secret"):
        sub(secret=secret)


def test_escalation_must_name_another_existing_subscription() -> None:
    with pytest.raises(ValueError, match="escalate_to"):
        check_subscriptions([sub(escalate_to="nobody", escalate_after="15m")])
    with pytest.raises(ValueError, match="escalate_to"):
        check_subscriptions([sub(escalate_to="edt-duty-manager", escalate_after="15m")])


def test_escalation_needs_a_delay_and_may_not_loop() -> None:
    a = sub(escalate_to="b")
    b = sub(name="b")
    with pytest.raises(ValueError, match="escalate_after"):
        check_subscriptions([a, b])
    looped = [
        sub(escalate_to="b", escalate_after="1m"),
        sub(name="b", escalate_to="edt-duty-manager", escalate_after="1m"),
    ]
    with pytest.raises(ValueError, match="loops"):
        check_subscriptions(looped)


def test_subscription_names_are_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        check_subscriptions([sub(), sub()])


def test_horizon_and_schedules_must_be_durations() -> None:
    with pytest.raises(ValidationError):
        NotifierSettings(horizon="a day")
    with pytest.raises(ValidationError):
        sub(retry_schedule=[])
    assert NotifierSettings().horizon_delta == timedelta(hours=24)
