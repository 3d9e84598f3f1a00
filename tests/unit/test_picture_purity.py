"""The joint-picture domain does no I/O and reads no clock: it imports no driver or framework."""

import ast
import subprocess
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "services" / "projection" / "domain"
FORBIDDEN = ("fastapi", "sqlite3", "aiokafka", "httpx", "kurrentdbclient", "infra")


def test_importing_the_domain_loads_no_framework_or_driver():
    code = (
        "import sys, services.projection.domain\n"
        f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=DOMAIN.parents[2],
    ).stdout.strip()
    assert loaded == ""


def test_domain_code_never_reads_the_clock_or_makes_ids():
    for path in DOMAIN.rglob("*.py"):
        tree = ast.parse(path.read_text())
        calls = {
            node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        }
        assert not calls & {"now", "utcnow", "today", "uuid4", "time"}, path
