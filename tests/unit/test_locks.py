"""The hashed locks in requirements/ install exactly what pyproject.toml pins, and CI
runs the static gates: a pin changed without `./dev lock`, or a gate dropped from CI,
fails here rather than drifting silently."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)", re.M)


def locked(name: str) -> dict[str, str]:
    """Package name (normalised) to version, for one lock file."""
    text = (ROOT / "requirements" / f"{name}.lock").read_text()
    return {_norm(package): version for package, version in PIN.findall(text)}


def pins(requirements: list[str]) -> dict[str, str]:
    found = {}
    for line in requirements:
        requirement = Requirement(line)
        [spec] = requirement.specifier
        assert spec.operator == "==", f"{line!r}: pyproject pins exact versions"
        found[_norm(requirement.name)] = spec.version
    return found


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_run_lock_holds_every_runtime_pin_at_its_version() -> None:
    wanted = pins(PYPROJECT["project"]["dependencies"])
    lock = locked("run")
    assert {name: lock.get(name) for name in wanted} == wanted


def test_the_test_lock_holds_every_runtime_and_test_pin_at_its_version() -> None:
    wanted = pins(
        PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["test"]
    )
    lock = locked("test")
    assert {name: lock.get(name) for name in wanted} == wanted


def test_every_locked_package_carries_hashes() -> None:
    for name in ("run", "test"):
        text = (ROOT / "requirements" / f"{name}.lock").read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        unhashed = [e.split()[0] for e in entries if e.strip() and "--hash=sha256:" not in e]
        assert unhashed == [], f"{name}.lock: no hash for {unhashed}"


def test_ci_runs_ruff_format_and_strict_mypy_before_the_suite() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    dev = (ROOT / "dev").read_text()
    assert ci.index("./dev check") < ci.index("./dev test")
    check = dev[dev.index("  check)") :].split(";;")[0]
    for gate in ("ruff check .", "ruff format --check .", "mypy"):
        assert gate in check
    assert "--require-hashes" in dev
    assert PYPROJECT["tool"]["mypy"]["strict"] is True


def test_the_image_installs_from_the_run_lock_with_hashes() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/run.lock" in dockerfile
    assert "--no-deps --no-build-isolation ." in dockerfile
