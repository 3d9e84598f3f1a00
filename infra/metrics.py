"""Prometheus metrics every service shares, and the ``/metrics`` route to expose them.

Each process builds one ``Metrics`` in its composition root (never at import) and
passes it to whatever records; tests build their own on a fresh registry.
"""

from fastapi import APIRouter, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.events_ingested = Counter(
            "safeguard_events_ingested", "Events accepted", ["agency", "type"], registry=r
        )
        self.ingest_errors = Counter(
            "safeguard_ingest_errors", "Submissions refused", ["agency", "reason"], registry=r
        )
        self.subscription_lag = Gauge(
            "safeguard_subscription_lag_events",
            "Store head minus the consumer's checkpoint",
            ["consumer"],
            registry=r,
        )
        self.open_findings = Gauge(
            "safeguard_open_findings", "Findings open now", ["severity"], registry=r
        )
        self.degraded_cases = Gauge(
            "safeguard_projection_degraded_cases",
            "Cases whose fold or evaluation raised, shown as degraded",
            registry=r,
        )
        self.alert_deliveries = Counter(
            "safeguard_alert_deliveries", "Webhook delivery attempts", ["outcome"], registry=r
        )
        self.relayed_events = Counter(
            "safeguard_relayed_events", "Events confirmed on the Kafka topic", registry=r
        )

    def ingested(self, agency: str, type: str, n: int = 1) -> None:
        self.events_ingested.labels(agency, type).inc(n)

    def ingest_failed(self, agency: str, reason: str) -> None:
        """``reason``: a short stable word (``invalid``, ``conflict``, ``unavailable``)."""
        self.ingest_errors.labels(agency, reason).inc()

    def lag(self, consumer: str, head: int, checkpoint: int) -> None:
        self.subscription_lag.labels(consumer).set(max(head - checkpoint, 0))

    def findings_open(self, severity: str, count: int) -> None:
        self.open_findings.labels(severity).set(count)

    def cases_degraded(self, count: int) -> None:
        self.degraded_cases.set(count)

    def delivered(self, ok: bool) -> None:
        self.alert_deliveries.labels("delivered" if ok else "failed").inc()

    def relayed(self, n: int) -> None:
        self.relayed_events.inc(n)


def metrics_router(metrics: Metrics) -> APIRouter:
    """``GET /metrics`` in the Prometheus text format, for any service to mount."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def scrape() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
