"""Real servers for tests: any ASGI app on a free loopback port, or the
``safeguard`` command as a subprocess.

In a thread (the app's lifespan runs in the server's own event loop)::

    with serve_app(lambda: create_embedded_app(settings)) as url:
        httpx.get(f"{url}/healthz")

As a subprocess (kill it with SIGKILL to test crashes)::

    with SafeguardProcess(["serve", "--data-dir", str(tmp)]) as proc:
        proc.wait_healthy()
        proc.kill()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from services.http.server import proxy_options

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 15.0


@contextmanager
def killed_on_exit(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """``proc`` for the block, then SIGKILLed if still running, and reaped."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@contextmanager
def serve_app(app_factory: Callable[[], Any], *, timeout: float = STARTUP_SECONDS) -> Iterator[str]:
    """Run ``app_factory()`` under uvicorn in a thread on 127.0.0.1:<free port>;
    yield its base URL; shut it down (lifespan shutdown included) on exit."""
    config = uvicorn.Config(
        app_factory(),
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        **proxy_options(None),  # as ``run_server`` by default: no proxy trusted
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), timeout=timeout, what="uvicorn")
        if not server.started:
            raise RuntimeError("the server failed to start (see the log above)")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


class SafeguardProcess:
    """``python -m services.cli.main <args>`` as a real child process.

    ``SAFEGUARD_*`` variables of the test runner are not inherited; pass ``env``.
    """

    def __init__(
        self, args: Sequence[str], *, env: dict[str, str] | None = None, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [*args, "--port", str(self.port)] if "--port" not in args else list(args)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")}
        self.env = {**inherited, **(env or {})}
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.proc: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: a chatty server must never block on a full pipe.
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as self
            prefix="safeguard-", suffix=".log", delete=False
        )

    def start(self) -> SafeguardProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", *self.args],
            cwd=REPO,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_healthy(self, timeout: float = STARTUP_SECONDS) -> None:
        wait_for(self._healthy, timeout=timeout, what=f"{self.url}/healthz")

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"safeguard exited with {self.proc.returncode}:\n{self.output()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush — a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def wait_exit(self, timeout: float = STARTUP_SECONDS) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def output(self) -> str:
        """Everything the process has printed so far (stdout and stderr)."""
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> SafeguardProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)
