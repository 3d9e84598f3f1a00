"""The access audit for the ``safeguard`` command: what an operator read or rebuilt.

``replay`` discloses a case as surely as ``GET /cases/{id}/picture`` does, and
``rebuild`` walks every case, so both write the same audit as the services: who
(``--as NAME``, else the OS user; the OS user is always kept as ``key_id``), which
case(s), when, and ``client = "cli"``. Fail closed: a replay whose read cannot be
recorded writes no document.
"""

import argparse
import getpass
from collections.abc import Iterable

from infra.audit import ReadAccess
from infra.config import Settings
from services.http.audit import open_access_audit


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="as_name",
        metavar="NAME",
        help="who is running this, for the access audit (default: the OS user)",
    )


def cli_access(args: argparse.Namespace, command: str, case_ids: Iterable[str]) -> ReadAccess:
    os_user = _os_user()
    ids = tuple(sorted(set(case_ids)))
    return ReadAccess(
        key_id=f"os:{os_user}",
        name=getattr(args, "as_name", None) or os_user,
        role="cli",
        agency=None,
        endpoint=f"cli {command}",
        case_id=ids[0] if len(ids) == 1 else None,
        event_id=None,
        client="cli",
        case_ids=ids,
    )


async def record_cli_access(settings: Settings, access: ReadAccess) -> None:
    """Durably record ``access``; raises ``AuditUnavailable`` if it cannot be."""
    async with open_access_audit(settings) as audit:
        if audit is not None:
            await audit.record(access)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (a bare container)
        return "unknown"
