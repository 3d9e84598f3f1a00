"""Secrets come from a secrets directory (``/run/secrets``) as well as env and TOML.

Precedence, highest first: arguments, environment, secrets directory, TOML.
"""

import base64
from pathlib import Path

import orjson
import pytest
from pydantic_settings import SettingsError

from infra.config.settings import Settings
from tests.support.notifier_kit import SECRET


def seed(fill: int) -> str:
    return base64.b64encode(bytes([fill]) * 32).decode()


@pytest.fixture
def secrets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    config = tmp_path / "safeguard.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n[trust]\nsigning_key_seed = "{seed(1)}"\n')
    monkeypatch.setenv("SAFEGUARD_CONFIG", str(config))
    monkeypatch.setenv("SAFEGUARD_SECRETS_DIR", str(directory))
    monkeypatch.delenv("SAFEGUARD_TRUST__SIGNING_KEY_SEED", raising=False)
    return directory


def configured_seed() -> str | None:
    value = Settings().trust.signing_key_seed
    return None if value is None else value.get_secret_value()


def test_a_file_in_the_secrets_directory_overrides_the_toml(secrets_dir: Path) -> None:
    (secrets_dir / "safeguard_trust__signing_key_seed").write_text(seed(2) + "\n")
    assert configured_seed() == seed(2)


def test_the_environment_overrides_the_secrets_directory(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (secrets_dir / "safeguard_trust__signing_key_seed").write_text(seed(2))
    monkeypatch.setenv("SAFEGUARD_TRUST__SIGNING_KEY_SEED", seed(3))
    assert configured_seed() == seed(3)


def test_without_a_secret_file_the_toml_value_stands(secrets_dir: Path) -> None:
    assert configured_seed() == seed(1)


def test_webhook_subscriptions_with_their_secrets_come_from_one_file(secrets_dir: Path) -> None:
    subscription = {"name": "edt", "url": "https://pager.example.org/h", "secret": SECRET}
    (secrets_dir / "safeguard_subscriptions").write_bytes(orjson.dumps([subscription]))
    [loaded] = Settings().subscriptions
    assert loaded.secret.get_secret_value() == SECRET


def test_a_named_secrets_directory_that_does_not_exist_stops_start_up(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEGUARD_SECRETS_DIR", str(secrets_dir / "missing"))
    with pytest.raises(SettingsError, match="missing"):
        Settings()
