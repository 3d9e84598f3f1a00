"""The journey the README promises, as real processes: serve with the demo case,
read its findings, replay it for a case review, rebuild the picture."""

import json
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx

from tests.support.scenario import CHILD_K_EXPECTED
from tests.support.server import REPO, SafeguardProcess, wait_for


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _key(data_dir: Path, role: str) -> str:
    config = tomllib.loads((data_dir / "safeguard.toml").read_text())
    return next(c["key"] for c in config["credentials"] if c["role"] == role)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(root: Path) -> dict[str, int]:
    """Mode of ``root`` and every file under it; a -wal/-shm gone meanwhile is skipped."""
    modes = {}
    for path in [root, *root.rglob("*")]:
        try:
            modes[str(path)] = _mode(path)
        except FileNotFoundError:
            continue
    return modes


def test_serve_demo_then_replay_and_rebuild(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with SafeguardProcess(["serve", "--demo", "--data-dir", str(data)]) as server:
        server.wait_healthy()
        headers = {"Authorization": f"Bearer {_key(data, 'reviewer')}"}

        def all_findings_in() -> bool:
            response = httpx.get(f"{server.url}/cases/child-k/findings", headers=headers)
            return response.status_code == 200 and len(response.json()["findings"]) == len(
                CHILD_K_EXPECTED
            )

        wait_for(all_findings_in, timeout=20, what="the demo case's findings")
        again = _cli("demo", "--data-dir", str(data), "--url", server.url)
        assert again.returncode == 0, again.stderr  # identical retries: nothing new
        assert "posted 26 events" in again.stdout
        written = _modes(data)  # while open: the stores' -wal/-shm, the config with keys

    assert any(name.endswith("events.db-wal") for name in written)
    assert written == {name: 0o700 if name == str(data) else 0o600 for name in written}
    for fmt in ("html", "md", "json"):
        out = tmp_path / f"child-k.{fmt}"
        replay = _cli(
            "replay",
            "--case",
            "child-k",
            "--data-dir",
            str(data),
            "--as-of",
            "2017-01-03T09:00:00+00:00",
            "--format",
            fmt,
            "--out",
            str(out),
        )
        assert replay.returncode == 0, replay.stderr
    document = json.loads((tmp_path / "child-k.json").read_text())
    rules = sorted(f["rule"] for f in document["picture"]["findings"])
    assert rules == sorted(e.rule for e in CHILD_K_EXPECTED)
    assert "child-not-considered" in (tmp_path / "child-k.html").read_text()
    assert "| " in (tmp_path / "child-k.md").read_text()
    assert {_mode(tmp_path / f"child-k.{fmt}") for fmt in ("html", "md", "json")} == {0o600}

    rebuild = _cli("rebuild", "--data-dir", str(data))
    assert rebuild.returncode == 0, rebuild.stderr
    # 26 agency events, and the audit of the alerts the demo subscription delivered
    rebuilt = re.search(r"rebuilt (\d+) events in 1 cases", rebuild.stderr)
    assert rebuilt and int(rebuilt[1]) > 26, rebuild.stderr


def test_replay_of_an_unknown_case_fails_clearly(tmp_path: Path) -> None:
    with SafeguardProcess(["serve", "--data-dir", str(tmp_path)]) as server:
        server.wait_healthy()
    replay = _cli("replay", "--case", "nobody", "--data-dir", str(tmp_path))
    assert replay.returncode == 1
    assert "no events for case 'nobody'" in replay.stderr


def test_the_command_creates_owner_only_files_even_where_no_mode_is_given(
    tmp_path: Path,
) -> None:
    out = tmp_path / "schemas"  # export-schemas writes with plain write_text: the umask decides
    result = _cli("export-schemas", "--out", str(out))
    assert result.returncode == 0, result.stderr
    modes = _modes(out)
    assert len(modes) > 20
    assert modes == {name: 0o700 if name == str(out) else 0o600 for name in modes}
