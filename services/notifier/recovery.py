"""Restore a lost or new outbox from the audit stream, once, at start-up."""

import logging

from events.records import RecordedEvent
from infra.store.port import EventStore
from services.notifier.domain.restore import restore_alerts
from services.notifier.ports import Outbox

log = logging.getLogger("safeguard.notifier")
PAGE = 1_000


async def restore_outbox(outbox: Outbox, store: EventStore) -> int:
    """If the outbox is empty and never restored, rebuild it from ``alert.*``
    events so nothing already delivered is sent again; returns alerts restored.

    Restored alerts do not escalate again; retries that were pending resume.
    """
    if not await outbox.needs_restore():
        return 0
    events: list[RecordedEvent] = []
    position = 1
    while page := await store.read_all(position, PAGE):
        events.extend(e for e in page if e.type.startswith("alert."))
        position = page[-1].position + 1
    alerts = restore_alerts(events)
    await outbox.restore(list(alerts.values()))
    if alerts:
        log.warning("outbox restored from the audit stream: %d alerts", len(alerts))
    return len(alerts)
