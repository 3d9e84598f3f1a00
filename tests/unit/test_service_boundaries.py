"""Services meet only through published contracts: ``events/``, ``infra/`` and
``services/http`` (what every service shares). A service that reaches into
another's modules cannot be deployed, scaled or changed on its own.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
SHARED = "http"

SAME_SERVICE = dict.fromkeys(
    ("police", "edt", "health", "education", "children_social_care"), "ingest"
)
"""Each agency's service is the ingest service built for that agency (one
``create_agency_app`` call): one service under six names, not six services."""

COMPOSITION_ROOTS = {
    "embedded": "`safeguard serve`: every service in one process, by design",
    "cli": "the `safeguard` command runs rebuild, replay and serve in its own process",
    "console": "one UI over the projection's cases and the notifier's alerts",
}
"""Packages that wire several services into one process, and why."""

PROCESS_ROOTS = {
    "services/projection/app.py": "the projection process serves the console beside its API",
    "services/notifier/app.py": "fed from Kafka, the notifier process runs its own projection",
}
"""Single modules that are a process's composition root and host another service
in that process. Only the wiring lives here; the service's own code stays clean."""


def _service(path: Path) -> str:
    name = path.relative_to(SERVICES).parts[0]
    return SAME_SERVICE.get(name, name)


def _imported_services(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {
        n.module
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and not n.level
    }
    parts = (m.split(".") for m in modules)
    return {SAME_SERVICE.get(p[1], p[1]) for p in parts if p[0] == "services" and len(p) > 1}


def _crossings() -> list[str]:
    found = []
    for path in sorted(SERVICES.rglob("*.py")):
        if len(path.relative_to(SERVICES).parts) < 2:
            continue
        own = _service(path)
        relative = str(path.relative_to(ROOT))
        if own in COMPOSITION_ROOTS or relative in PROCESS_ROOTS:
            continue
        for other in sorted(_imported_services(path) - {own, SHARED}):
            found.append(f"{relative} imports services.{other}")
    return found


def test_no_service_imports_another_except_through_the_shared_http_package():
    assert _crossings() == []


def test_every_allowed_root_still_exists():
    """A stale entry would silently allow a new crossing under an old name."""
    for name in (*COMPOSITION_ROOTS, *SAME_SERVICE, *SAME_SERVICE.values()):
        assert (SERVICES / name).is_dir(), name
    for module in PROCESS_ROOTS:
        assert (ROOT / module).is_file(), module
