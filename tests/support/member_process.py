"""Consumer-group members in their own processes, for chaos tests.

A ``Member`` is one ``safeguard run projection`` or ``safeguard run notifier``
(``store.feed = "kafka"``) that a test kills with SIGKILL and starts again; each
incarnation writes its JSON log to a file of its own, so the test can read what
the live one owns now and what every one announced.
"""

import contextlib
import json
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.server import REPO


def log_entries(log: Path) -> Iterator[dict[str, Any]]:
    if not log.exists():
        return
    for line in log.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                yield entry


class Member:
    def __init__(self, role: str, name: str, env: dict[str, str], logs: Path) -> None:
        self.role, self.name, self.env, self._logs = role, name, env, logs
        self.logs: list[Path] = []
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self._logs / f"{self.name}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("ab") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "services.cli.main", "run", self.role],
                env=self.env,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def owned(self) -> frozenset[int]:
        """The partitions the live incarnation last said it owns (none if dead)."""
        if not self.alive:
            return frozenset()
        owned: list[int] = []
        for entry in log_entries(self.logs[-1]):
            if "owned" in entry:
                owned = entry["owned"]
        return frozenset(owned)

    def announcements(self) -> Counter[tuple[str, str]]:
        """(finding id, status) announced, over every incarnation, with how often."""
        counts: Counter[tuple[str, str]] = Counter()
        for log in self.logs:
            for entry in log_entries(log):
                message = str(entry.get("message", ""))
                if message.startswith("finding ") and "finding_id" in entry:
                    counts[(entry["finding_id"], message.removeprefix("finding "))] += 1
        return counts
