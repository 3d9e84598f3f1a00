"""What operators watch of the projection: how far behind the store it is, and
how many findings are open, by severity."""

from collections.abc import Mapping

from infra.metrics import Metrics
from infra.store.port import EventStore


class ProjectionGauges:
    def __init__(self, metrics: Metrics, store: EventStore | None) -> None:
        """``store`` None (fed from Kafka): lag is the consumer group's, watched there."""
        self._metrics = metrics
        self._store = store

    async def caught_up_to(self, position: int) -> None:
        if self._store is not None:
            self._metrics.lag("projection", await self._store.head_position(), position)

    def degraded(self, count: int) -> None:
        """Cases set aside because their fold or evaluation raised."""
        self._metrics.cases_degraded(count)

    def open_findings(self, counts: Mapping[str, int]) -> None:
        """Open findings by severity, as the read model counts them."""
        for severity in ("low", "medium", "high", "critical"):
            self._metrics.findings_open(severity, counts.get(severity, 0))
