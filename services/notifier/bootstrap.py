"""Composition root for the notifier: the only place its adapters are chosen."""

import random
from datetime import timedelta
from pathlib import Path

import httpx

from infra.clock import Clock
from infra.config.notifier import check_subscriptions, parse_duration
from infra.config.settings import Settings
from infra.metrics import Metrics
from infra.store.port import EventStore
from infra.webhooks.httpx_sender import HttpxWebhookSender
from infra.webhooks.pinned import Resolver
from services.notifier.adapters.sqlite_outbox import SQLiteOutbox
from services.notifier.delivery import Deliverer
from services.notifier.domain.policy import RetryPolicy
from services.notifier.lease import DeliveryLease, lease_owner
from services.notifier.recovery import restore_outbox
from services.notifier.service import Notifier


async def build_notifier(
    settings: Settings,
    *,
    store: EventStore,
    clock: Clock,
    http_client: httpx.AsyncClient | None = None,
    db_path: Path | None = None,
    rng: random.Random | None = None,
    metrics: Metrics | None = None,
    resolver: Resolver | None = None,
) -> Notifier:
    """Open the outbox and build a ready ``Notifier`` (start it with ``run()``).

    ``close()`` closes the outbox and any HTTP client built here; a client or
    store passed in stays the caller's to close. ``resolver`` replaces the
    system's DNS for the egress check (tests: a name that resolves privately).
    """
    check_subscriptions(settings.subscriptions)
    ns = settings.notifier
    outbox = SQLiteOutbox(db_path or ns.outbox_path or settings.data_dir / "notifier.db")
    await outbox.start()
    await restore_outbox(outbox, store)
    sender = HttpxWebhookSender(
        http_client,
        timeout=ns.request_timeout_seconds,
        max_connections=ns.max_in_flight,
        resolver=resolver,
    )
    policies = {
        s.name: RetryPolicy(
            tuple(map(parse_duration, s.retry_schedule or ns.default_retry_schedule)),
            ns.horizon_delta,
            ns.jitter,
        )
        for s in settings.subscriptions
    }
    deliverer = Deliverer(
        subscriptions={s.name: s for s in settings.subscriptions},
        policies=policies,
        sender=sender,
        clock=clock,
        base_url=settings.base_url,
        rng=rng or random.Random(),
    )
    ttl = timedelta(seconds=ns.lease_ttl_seconds)
    return Notifier(
        outbox=outbox,
        deliverer=deliverer,
        store=store,
        clock=clock,
        subscriptions=settings.subscriptions,
        lease=DeliveryLease(outbox, clock, lease_owner(ns.lease_owner), ttl),
        max_in_flight=ns.max_in_flight,
        # a send's connect, write and read may each take the timeout
        claim_for=timedelta(seconds=3 * ns.request_timeout_seconds) + ttl,
        resources=[sender.close, outbox.close],
        metrics=metrics,
    )
