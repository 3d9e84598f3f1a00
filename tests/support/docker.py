"""Containers for ``@pytest.mark.docker`` tests: KurrentDB and Apache Kafka.

Each helper is a generator a test module wraps in a fixture (``yield from ...``).
It skips with a one-line reason when no Docker engine answers, and never fails
or silently passes for want of one.
"""

import time
from collections.abc import Iterator

import httpx
import pytest

KURRENTDB_IMAGE = "docker.kurrent.io/kurrent-latest/kurrentdb:25.1"
"""25.1+: multi-stream append, which atomic multi-case batches need."""
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
START_TIMEOUT = 90.0


def docker_unavailable() -> str | None:
    """Why Docker cannot be used here, or None if its engine answers a ping."""
    try:
        import docker
        from docker.errors import DockerException
        from requests.exceptions import RequestException
    except ImportError as e:
        return f"docker SDK not installed ({e.name})"
    try:
        docker.from_env(timeout=3).ping()
    except (DockerException, RequestException, OSError) as e:
        return f"no Docker engine answers a ping ({type(e).__name__})"
    return None


def require_docker() -> None:
    reason = docker_unavailable()
    if reason:
        pytest.skip(reason)


def kurrentdb_uri() -> Iterator[str]:
    """An insecure, in-memory single KurrentDB node; yields its ``esdb://`` URI."""
    require_docker()
    from testcontainers.core.container import DockerContainer

    container = (
        DockerContainer(KURRENTDB_IMAGE)
        .with_env("KURRENTDB_INSECURE", "true")
        .with_env("KURRENTDB_MEM_DB", "true")
        .with_env("KURRENTDB_RUN_PROJECTIONS", "None")
        .with_exposed_ports(2113)
    )
    with container:
        host, port = container.get_container_host_ip(), container.get_exposed_port(2113)
        _wait_http(f"http://{host}:{port}/health/live")
        yield f"esdb://{host}:{port}?tls=false"


def apache_kafka() -> Iterator[str]:
    """A single KRaft Apache Kafka broker; yields its bootstrap address."""
    require_docker()
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka:
        yield kafka.get_bootstrap_server()


def _wait_http(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 300:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # a poll interval under a deadline
    raise TimeoutError(f"{url} did not answer within {START_TIMEOUT}s")
