"""docker-compose.yml: valid for the compose tool, healthy start order, and one
gateway serving the same paths as ``safeguard serve``."""

import importlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.config import Settings
from services.embedded.dev_config import ensure_dev_config

ROOT = Path(__file__).parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SAFEGUARD_SERVICES = ("police", "edt", "health", "projection", "notifier", "relay")


def compose_command() -> list[str] | None:
    """``docker compose`` (plugin) or ``docker-compose``, whichever is installed."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def load_compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read the compose file")
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_compose_tool_accepts_the_file() -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no compose tool installed (docker compose plugin or docker-compose)")

    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


def test_every_safeguard_service_has_a_health_check_and_waits_for_healthy_stores() -> None:
    services = load_compose()["services"]

    for name in SAFEGUARD_SERVICES:
        service = services[name]
        assert service["command"] == ["run", name]
        assert "healthz" in " ".join(service["healthcheck"]["test"])
        assert service["depends_on"]["eventstoredb"]["condition"] == "service_healthy"
        assert service["depends_on"]["config"]["condition"] == "service_completed_successfully"
        assert service["environment"]["SAFEGUARD_STORE__BACKEND"] == "eventstoredb"
    for name in ("relay", "projection", "notifier"):
        assert services[name]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("eventstoredb", "kafka", "gateway"):
        assert services[name]["healthcheck"]["test"]


# --- the gateway routes every embedded path to a service that serves it -------------


class NginxLocations:
    """The subset of nginx location matching the gateway uses: exact, regex, prefix."""

    def __init__(self, config: str) -> None:
        self.rules: list[tuple[str, str, str | None]] = []
        for match in re.finditer(r"location\s+(=|~)?\s*(\S+)\s*\{([^}]*)\}", config):
            upstream = re.search(r"proxy_pass\s+http://(\w+):", match.group(3))
            modifier = match.group(1) or ""
            path = match.group(2).replace("$$", "$")
            self.rules.append((modifier, path, upstream.group(1) if upstream else None))

    def upstream(self, path: str) -> str | None:
        for modifier, pattern, upstream in self.rules:
            if modifier == "=" and path == pattern:
                return upstream
        prefixes = [(p, u) for m, p, u in self.rules if not m and path.startswith(p)]
        for modifier, pattern, upstream in self.rules:
            if modifier == "~" and re.search(pattern, path):
                return upstream
        return max(prefixes, key=lambda pu: len(pu[0]))[1] if prefixes else None


def service_routes(name: str, settings: Settings) -> set[tuple[str, str]]:
    app = importlib.import_module(f"services.{name}.app").create_app(settings)
    return routes(app)


def routes(app: Any) -> set[tuple[str, str]]:
    """(METHOD, path) of every documented route, read from the OpenAPI document
    (routers included into routers are not flat in ``app.routes``)."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_gateway_sends_each_path_of_the_embedded_api_to_a_service_that_serves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = ensure_dev_config(tmp_path)
    monkeypatch.setenv("SAFEGUARD_CONFIG", str(config))
    settings = Settings()
    from services.embedded.app import create_embedded_app

    embedded = routes(create_embedded_app(settings)) - {("GET", "/healthz")}
    assert len(embedded) > 10  # the API is really there to compare
    gateway = NginxLocations(load_compose()["configs"]["gateway"]["content"])
    served = {name: service_routes(name, settings) for name in SAFEGUARD_SERVICES[:5]}

    for method, path in sorted(embedded):
        upstream = gateway.upstream(concrete(path))
        assert upstream in served, f"{method} {path} is not routed"
        assert (method, path) in served[upstream], f"{method} {path} → {upstream}, which lacks it"
