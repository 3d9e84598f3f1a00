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


def test_plain_http_is_refused_except_to_loopback_with_allow_private() -> None:
    with pytest.raises(ValidationError, match="HTTPS"):
        sub(url="http://pager.example.org/hook", allow_private=True)
    with pytest.raises(ValidationError, match="allow_private"):
        sub(url="http://127.0.0.1:9000/hook")
    local = sub(url="http://127.0.0.1:9000/hook", allow_private=True)
    assert local.url.startswith("http://127.0.0.1")
    assert sub(url="http://localhost:9000/hook", allow_private=True)
    assert sub(url="http://[::1]:9000/hook", allow_private=True)


NOT_PUBLIC = [
    ("https://10.0.0.5/hook", "private"),
    ("https://172.16.4.1/hook", "private"),
    ("https://192.168.1.20/hook", "private"),
    ("https://[fd12:3456::1]/hook", "private"),
    ("https://127.0.0.1/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://localhost/hook", "loopback"),
    ("https://169.254.10.1/hook", "link-local"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://[::]/hook", "unspecified"),
    ("https://100.64.0.7/hook", "carrier-grade NAT"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://169.254.169.254/latest/meta-data", "metadata"),
    ("https://[fd00:ec2::254]/hook", "metadata"),
    ("https://metadata.google.internal/computeMetadata/v1", "metadata"),
    ("https://[::ffff:10.0.0.5]/hook", "private"),
]


@pytest.mark.parametrize(("url", "kind"), NOT_PUBLIC)
def test_https_to_a_non_public_address_stops_start_up(url: str, kind: str) -> None:
    with pytest.raises(ValidationError, match=f"{kind}.*allow_private = true"):
        sub(url=url)


@pytest.mark.parametrize(("url", "kind"), NOT_PUBLIC)
def test_allow_private_lets_an_inside_receiver_through(url: str, kind: str) -> None:
    assert sub(url=url, allow_private=True).allow_private


def test_public_addresses_and_names_are_accepted_without_allow_private() -> None:
    assert sub(url="https://93.184.215.14/hook")
    assert sub(url="https://[2606:4700::1111]/hook")
    assert sub(url=URL)  # a name: its addresses are checked at every send


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
