"""The ``safeguard`` command's reads in the access audit: a replay and a rebuild,
run as real processes against a real store, each leave a record of who, which
case(s), when, and ``client = "cli"``."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.sqlite.audit import SQLiteAccessAudit
from infra.sqlite.store import SQLiteEventStore
from tests.support.factories import make_submission
from tests.support.server import REPO


@pytest.fixture
def config(tmp_path: Path) -> Path:
    async def fill() -> None:
        async with SQLiteEventStore(tmp_path / "events.db") as s:
            for case_id in ("case-1", "case-2", "case-1"):
                await s.append([make_submission(case_id=case_id)])

    asyncio.run(fill())
    path = tmp_path / "safeguard.toml"
    path.write_text(f'data_dir = "{tmp_path}"\n')
    return path


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")}
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args, "--config", str(config)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def entries(config: Path) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        audit = SQLiteAccessAudit(config.parent / "audit.db")
        return [r.to_json() for r in await audit.query()]

    return asyncio.run(read())


def test_a_replay_and_a_rebuild_are_in_the_access_audit(config: Path) -> None:
    out = config.parent / "case-1.md"
    replay = cli(
        config,
        "replay",
        "--case",
        "case-1",
        "--format",
        "md",
        "--out",
        str(out),
        "--as",
        "Reviewer R",
    )
    rebuild = cli(config, "rebuild")

    assert replay.returncode == 0, replay.stderr
    assert rebuild.returncode == 0, rebuild.stderr
    [replayed, rebuilt] = entries(config)
    assert (replayed["endpoint"], replayed["case_id"], replayed["name"]) == (
        "cli replay",
        "case-1",
        "Reviewer R",
    )
    assert (rebuilt["endpoint"], rebuilt["case_ids"]) == ("cli rebuild", ["case-1", "case-2"])
    assert {replayed["client"], rebuilt["client"]} == {"cli"}
    assert str(rebuilt["key_id"]).startswith("os:")
