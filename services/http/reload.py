"""Key rotation without a restart: re-read ``[[credentials]]`` from the config
file on SIGHUP or when the file changes, and swap ``app.state.keyring``.

A file that does not parse, or holds a placeholder key, is refused with a log
line and the keys in force stay in force: a typo must not lock every agency out.
Only the credentials are reloaded; other settings need a restart.
"""

import asyncio
import contextlib
import logging
import os
import signal
import tomllib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError

from infra.config.credentials import Credential
from services.http.auth import InvalidCredentials, KeyRing

log = logging.getLogger("safeguard.auth")
POLL_SECONDS = 1.0
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]
_CREDENTIALS = TypeAdapter(list[Credential])


def read_credentials(path: Path) -> list[Credential]:
    with path.open("rb") as file:
        document = tomllib.load(file)
    return _CREDENTIALS.validate_python(document.get("credentials", []))


def config_file_of(credentials: list[Credential]) -> Path | None:
    """``SAFEGUARD_CONFIG``, if the keys in force were read from it (so a stale
    variable pointing elsewhere never swaps in another deployment's keys)."""
    name = os.environ.get("SAFEGUARD_CONFIG")
    if not name:
        return None
    try:
        from_file = read_credentials(Path(name))
    except (OSError, tomllib.TOMLDecodeError, ValidationError):
        return None
    same = {c.digest for c in from_file} == {c.digest for c in credentials}
    return Path(name) if same else None


class CredentialReloader:
    def __init__(self, app: FastAPI, path: Path) -> None:
        self.app, self.path = app, path
        self._seen = self._stamp()

    def reload(self) -> bool:
        """Swap in the file's keys; False (old keys kept) if the file is unusable."""
        self._seen = self._stamp()
        try:
            in_force: KeyRing = self.app.state.keyring
            keyring = KeyRing(read_credentials(self.path), environment=in_force.environment)
        except (OSError, tomllib.TOMLDecodeError, ValidationError, InvalidCredentials) as e:
            log.error("credentials not reloaded; keeping the keys in force: %s", type(e).__name__)
            return False
        self.app.state.keyring = keyring
        log.info("credentials reloaded from %s", self.path)
        return True

    def changed(self) -> bool:
        return self._stamp() != self._seen

    async def watch(self, poll: float = POLL_SECONDS) -> None:
        while True:
            await asyncio.sleep(poll)  # a poll interval, not a wait for a condition
            if self.changed():
                self.reload()

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)


def with_key_reload(path: Path | None, lifespan: Lifespan) -> Lifespan:
    """Wrap a lifespan with the SIGHUP handler and the file watcher."""
    if path is None:
        return lifespan

    @asynccontextmanager
    async def wrapped(app: FastAPI) -> AsyncIterator[Any]:
        reloader = CredentialReloader(app, path)
        loop = asyncio.get_running_loop()
        hup = _on_sighup(loop, reloader.reload)
        task = asyncio.create_task(reloader.watch(), name="credential-reload")
        try:
            async with lifespan(app) as state:
                yield state
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if hup:
                loop.remove_signal_handler(signal.SIGHUP)

    return wrapped


def _on_sighup(loop: asyncio.AbstractEventLoop, reload: Callable[[], bool]) -> bool:
    """Only the main thread may handle signals; a server in a test thread skips it."""
    try:
        loop.add_signal_handler(signal.SIGHUP, reload)
    except (RuntimeError, ValueError, NotImplementedError):
        return False
    return True
