"""Every domain, and the event contract, does no I/O and reads no clock.

The domains are found, not listed: a new ``services/<name>/domain/`` is covered
the day it appears.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = sorted(ROOT.glob("services/*/domain"))
PURE = [ROOT / "events", *DOMAINS]
DRIVERS = ("fastapi", "starlette", "sqlite3", "aiokafka", "httpx", "kurrentdbclient", "uvicorn")
IO_MODULES = ("socket", "subprocess", "asyncio", "threading", "shutil", "urllib.request")
CLOCK_AND_IDS = {"now", "utcnow", "today", "uuid4", "time", "monotonic", "perf_counter"}


def _module(package: Path) -> str:
    return ".".join(package.relative_to(ROOT).parts)


def _imports(tree: ast.AST) -> set[str]:
    named = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return named | {
        n.module
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and not n.level
    }


def _forbidden(package: Path) -> tuple[str, ...]:
    """Domains do not even read settings (``infra``); the contract may use pydantic."""
    return (*DRIVERS, *IO_MODULES, *(() if package.name == "events" else ("infra",)))


def test_there_is_more_than_one_domain_to_keep_pure():
    assert {d.parent.name for d in DOMAINS} >= {"projection", "notifier"}


@pytest.mark.parametrize("package", PURE, ids=_module)
def test_importing_the_package_loads_no_framework_or_driver(package: Path):
    forbidden = (*DRIVERS, *(() if package.name == "events" else ("infra",)))
    code = (
        f"import sys, {_module(package)}\n"
        f"print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert loaded == ""


@pytest.mark.parametrize("package", PURE, ids=_module)
def test_no_module_imports_io_a_driver_or_a_framework(package: Path):
    forbidden = _forbidden(package)
    for path in package.rglob("*.py"):
        imported = _imports(ast.parse(path.read_text()))
        bad = {m for m in imported if m in forbidden or m.split(".")[0] in forbidden}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("package", PURE, ids=_module)
def test_code_never_reads_the_clock_or_makes_random_ids(package: Path):
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        calls = {
            node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        }
        assert not calls & CLOCK_AND_IDS, path.relative_to(ROOT)
