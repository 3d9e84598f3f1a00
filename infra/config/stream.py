"""Where events are stored and how they are carried to consumers."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, FilePath, SecretStr, model_validator


class StoreSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: Literal["sqlite", "eventstoredb"] = "sqlite"
    sqlite_path: Path | None = None
    """Defaults to ``<data_dir>/events.db``."""
    eventstoredb_uri: str = "esdb://localhost:2113?tls=false"
    feed: Literal["store", "kafka"] = "store"
    """Where the projection and notifier read the shared stream: straight from the
    store (embedded, one machine) or from the Kafka topic the relay fills."""


class KafkaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bootstrap_servers: str = "localhost:9092"
    topic: str = "safeguarding.events"
    enable_idempotence: bool = True
    projection_group: str = "safeguard-projection"
    notifier_group: str = "safeguard-notifier"
    partitions: int = 6
    """Partitions of the topic when the relay creates it; a case keeps its order
    because its events share a key, hence a partition."""
    replication_factor: int = 1
    """1 for development; 3 in production (see docs/deployment.md)."""
    relay_batch: int = 500
    """Events the relay reads from the store and sends before one checkpoint write."""
    session_timeout_ms: int = 10_000
    """How long a silent consumer keeps its partitions: the pause a killed
    projection or notifier costs its replacement before redelivery starts."""

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    """PLAINTEXT for a development broker only; production uses SASL_SSL (or SSL
    with client certificates)."""
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: FilePath | None = None
    """The CA that signed the brokers' certificates; the system's CAs if unset."""
    ssl_certfile: FilePath | None = None
    """A client certificate (PEM), for brokers that authenticate clients by mTLS."""
    ssl_keyfile: FilePath | None = None
    ssl_check_hostname: bool = True
    """Whether a broker's certificate must name the host connected to."""
    admin_timeout_ms: int = 10_000
    """How long the start-up topic check waits on a broker: a TLS client talking
    to a plaintext listener (or the reverse) hears nothing until then."""

    @model_validator(mode="after")
    def _security_is_complete(self) -> "KafkaSettings":
        """A half-configured connection stops start-up, naming the missing key."""
        sasl = self.security_protocol.startswith("SASL_")
        tls = self.security_protocol.endswith("SSL")
        if sasl and not (self.sasl_username and self.sasl_password):
            raise ValueError(
                f"security_protocol {self.security_protocol} needs sasl_username and sasl_password"
            )
        if self.security_protocol == "SASL_PLAINTEXT" and self.sasl_mechanism == "PLAIN":
            raise ValueError("sasl_mechanism PLAIN sends the password in clear: use SASL_SSL")
        if not sasl and (self.sasl_username or self.sasl_password):
            raise ValueError("sasl_username/sasl_password need a SASL_ security_protocol")
        tls_files = (self.ssl_cafile, self.ssl_certfile, self.ssl_keyfile)
        if not tls and any(tls_files):
            raise ValueError("ssl_* files need security_protocol SSL or SASL_SSL")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile and ssl_keyfile go together")
        return self
