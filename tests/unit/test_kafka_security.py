"""Kafka TLS and SASL settings: checked when the config loads, and turned into
the same aiokafka connection arguments for every client."""

import ssl
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from infra.config.stream import KafkaSettings
from infra.kafka.security import connection_options
from tests.support.tls import make_pki

SCRAM = {"sasl_username": "relay", "sasl_password": "s3cret-relay-pass"}


def test_plaintext_by_default_with_no_tls_or_sasl_arguments() -> None:
    options = connection_options(KafkaSettings(bootstrap_servers="kafka:9092"))

    assert options == {"bootstrap_servers": "kafka:9092", "security_protocol": "PLAINTEXT"}


def test_sasl_ssl_gives_a_verifying_context_with_the_ca_and_scram_credentials(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path)
    settings = KafkaSettings(
        security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-256", ssl_cafile=pki.ca, **SCRAM
    )

    options = connection_options(settings)

    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "safeguard test CA"),),)
    ]
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert options["sasl_plain_username"] == "relay"
    assert options["sasl_plain_password"] == "s3cret-relay-pass"


def test_ssl_with_a_client_certificate_loads_it_and_may_skip_the_hostname_check(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path)
    settings = KafkaSettings(
        security_protocol="SSL",
        ssl_cafile=pki.ca,
        ssl_certfile=pki.cert,
        ssl_keyfile=pki.key,
        ssl_check_hostname=False,
    )

    options = connection_options(settings)

    assert not options["ssl_context"].check_hostname
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert "sasl_mechanism" not in options


def test_the_password_is_not_shown_in_the_settings_repr() -> None:
    settings = KafkaSettings(security_protocol="SASL_SSL", **SCRAM)

    assert "s3cret-relay-pass" not in repr(settings)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"security_protocol": "SASL_SSL"}, "sasl_username and sasl_password"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_username": "relay"}, "sasl_password"),
        ({"security_protocol": "PLAINTEXT", **SCRAM}, "SASL_"),
        ({"security_protocol": "SSL", "ssl_cafile": "/no/such/ca.pem"}, "ssl_cafile"),
        ({"security_protocol": "PLAINTEXT", "ssl_cafile": "CA"}, "ssl_* files"),
        ({"security_protocol": "SSL", "ssl_certfile": "CERT"}, "go together"),
        ({"security_protocol": "TLS"}, "security_protocol"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", **SCRAM}, "in clear"),
        ({"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI", **SCRAM}, "sasl_mechanism"),
    ],
)
def test_a_half_configured_connection_stops_the_config_loading(
    tmp_path: Path, fields: dict[str, Any], named: str
) -> None:
    pki = make_pki(tmp_path)
    files = {"CA": pki.ca, "CERT": pki.cert}
    fields = {k: files.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}

    with pytest.raises(ValidationError, match=named.replace("*", r"\*")):
        KafkaSettings(**fields)
