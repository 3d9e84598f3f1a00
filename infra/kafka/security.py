"""How every Kafka client connects: one place turns ``KafkaSettings`` into
aiokafka's connection arguments, so the relay's producer, the consumers and the
topic admin cannot disagree about TLS or credentials."""

from typing import Any

from aiokafka.helpers import create_ssl_context

from infra.config.stream import KafkaSettings


def connection_options(settings: KafkaSettings) -> dict[str, Any]:
    """``bootstrap_servers``, ``security_protocol`` and, as the protocol needs
    them, an ``ssl_context`` and the SASL mechanism and credentials."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    if settings.security_protocol.endswith("SSL"):
        context = create_ssl_context(
            cafile=settings.ssl_cafile,
            certfile=settings.ssl_certfile,
            keyfile=settings.ssl_keyfile,
        )
        context.check_hostname = settings.ssl_check_hostname
        options["ssl_context"] = context
    if settings.security_protocol.startswith("SASL_"):
        assert settings.sasl_password is not None  # KafkaSettings checked it
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    return options
