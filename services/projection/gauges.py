"""What operators watch of the projection: how far behind the store it is, and
how many findings are open, by severity."""

from collections import Counter
from collections.abc import Iterable

from events.findings import Finding
from infra.metrics import Metrics
from infra.store.port import EventStore


class ProjectionGauges:
    def __init__(self, metrics: Metrics, store: EventStore | None) -> None:
        """``store`` None (fed from Kafka): lag is the consumer group's, watched there."""
        self._metrics = metrics
        self._store = store
        self._open: dict[str, str] = {}
        """finding_id -> severity, for findings open now."""

    async def caught_up_to(self, position: int) -> None:
        if self._store is not None:
            self._metrics.lag("projection", await self._store.head_position(), position)

    def degraded(self, count: int) -> None:
        """Cases set aside because their fold or evaluation raised."""
        self._metrics.cases_degraded(count)

    def changed(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            if finding.status == "open":
                self._open[finding.finding_id] = finding.severity
            else:
                self._open.pop(finding.finding_id, None)
        counts = Counter(self._open.values())
        for severity in ("low", "medium", "high", "critical"):
            self._metrics.findings_open(severity, counts[severity])
