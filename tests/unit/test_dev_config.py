"""The development config ``safeguard serve`` writes passes the start-up key checks,
and one written before ``environment`` existed is marked so it still does."""

from pathlib import Path

import pytest

from infra.config import Settings
from services.embedded.dev_config import (
    ENVIRONMENT_LINE,
    dev_config_path,
    ensure_dev_config,
    render_dev_config,
)
from services.http.auth import KeyRing


def _keyring(path: Path, monkeypatch: pytest.MonkeyPatch) -> KeyRing:
    monkeypatch.setenv("SAFEGUARD_CONFIG", str(path))
    settings = Settings()
    return KeyRing(settings.credentials, environment=settings.environment)


def test_a_fresh_dev_config_passes_the_key_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, written = ensure_dev_config(tmp_path)

    assert written
    assert _keyring(path, monkeypatch).environment == "development"


def test_an_older_dev_config_is_marked_development_and_keeps_its_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = dev_config_path(tmp_path)
    old = render_dev_config(tmp_path).replace(ENVIRONMENT_LINE, "")
    path.write_text(old)

    ensure_dev_config(tmp_path)

    assert path.read_text().replace(ENVIRONMENT_LINE, "") == old
    assert _keyring(path, monkeypatch).environment == "development"


def test_a_config_someone_wrote_is_never_changed(tmp_path: Path) -> None:
    path = dev_config_path(tmp_path)
    path.write_text('data_dir = "/srv/safeguard"\n')

    ensure_dev_config(tmp_path)

    assert path.read_text() == 'data_dir = "/srv/safeguard"\n'
