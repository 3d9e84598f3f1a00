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
SAFEGUARD_SERVICES = (
    *("police", "edt", "health", "education", "children_social_care"),
    *("projection", "notifier", "relay"),
)


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
    served = {name: service_routes(name, settings) for name in SAFEGUARD_SERVICES[:-1]}  # not relay

    for method, path in sorted(embedded):
        upstream = gateway.upstream(concrete(path))
        assert upstream in served, f"{method} {path} is not routed"
        assert (method, path) in served[upstream], f"{method} {path} → {upstream}, which lacks it"


# --- deployment defaults: data on volumes, one public URL, a gateway that leaks nothing


def test_kafka_keeps_its_log_on_the_mounted_volume() -> None:
    kafka = load_compose()["services"]["kafka"]
    mounts = [volume.split(":")[1] for volume in kafka["volumes"]]

    log_dirs = kafka["environment"]["KAFKA_LOG_DIRS"].split(",")

    assert all(any(d.startswith(m) for m in mounts) for d in log_dirs), (log_dirs, mounts)


def test_every_service_links_to_the_gateway_and_trusts_forwarded_headers_from_it_alone() -> None:
    services = load_compose()["services"]
    gateway_address = services["gateway"]["networks"]["default"]["ipv4_address"]
    gateway_port = services["gateway"]["ports"][0].split(":")[1]

    for name in SAFEGUARD_SERVICES:
        environment = services[name]["environment"]
        assert environment["SAFEGUARD_PUBLIC_URL"].endswith(f":{gateway_port}")
        assert environment["SAFEGUARD_FORWARDED_ALLOW_IPS"] == gateway_address


def gateway_config() -> str:
    return str(load_compose()["configs"]["gateway"]["content"]).replace("$$", "$")


def test_gateway_access_log_has_a_format_without_paths_queries_or_headers() -> None:
    config = gateway_config()
    log_format = re.search(r"log_format\s+(\w+)(.*?);\n", config, re.S)

    assert log_format is not None
    assert re.search(rf"access_log\s+\S+\s+{log_format.group(1)}\s*;", config)
    for leaky in ("$request ", '$request"', "$request_uri", "$uri", "$args", "$http_", "$query"):
        assert leaky not in log_format.group(2), leaky


def test_gateway_health_asks_the_services_and_errors_are_problem_details() -> None:
    config = gateway_config()
    health = re.search(r"location = /healthz \{(.*?)\}", config, re.S)

    assert health is not None and "return 200" not in health.group(1)
    for status in (404, 413, 502, 503, 504):
        assert re.search(rf"error_page[^;]*\b{status}\b[^;]*/_problem/", config), status
    assert "default_type application/problem+json;" in config
