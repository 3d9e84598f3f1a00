"""Files that can hold case data or secrets are the owner's alone: 0600, directories 0700.

Two layers. Each process entry sets umask 077 (``restrict_new_files``), so
whatever it creates is owner-only, temporary files included. And the adapters
create their files with an explicit mode, so the same holds when they run in a
process that never passed an entry point (a test, an embedding): SQLite then
gives its ``-wal`` and ``-shm`` files the mode of the database file.
"""

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077


def restrict_new_files() -> int:
    """New files 0600 and directories 0700 for the rest of the process; the old umask."""
    return os.umask(UMASK)


def private_dir(path: Path) -> Path:
    """``mkdir -p``; the last directory is 0700 when created here (parents: umask)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 unless it exists, before SQLite opens it
    (an empty file is a valid new database). An existing file is left alone."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.close(fd)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, created or replaced, 0600 either way."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), FILE_MODE)
        out.write(data)
