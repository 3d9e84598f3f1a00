"""One delivery attempt: sign, POST, decide, and describe the outcome for the outbox.

Nothing here writes: the caller stores the ``AttemptRecord`` (state plus its
audit event) in one transaction.
"""

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from infra.clock import Clock
from infra.config.notifier import Subscription
from infra.webhooks.httpx_sender import SendOutcome
from infra.webhooks.signing import webhook_headers
from services.notifier import audit
from services.notifier.domain.alerts import Alert
from services.notifier.domain.body import alert_body
from services.notifier.domain.policy import Decision, RetryPolicy, decide
from services.notifier.ports import AttemptRecord, WebhookSender

log = logging.getLogger("safeguard.notifier")


@dataclass
class Deliverer:
    subscriptions: Mapping[str, Subscription]
    policies: Mapping[str, RetryPolicy]
    sender: WebhookSender
    clock: Clock
    base_url: str
    rng: random.Random

    async def attempt(self, alert: Alert, disabled: Mapping[str, str]) -> AttemptRecord:
        name = alert.alert.subscription
        sub = self.subscriptions.get(name)
        if sub is None:
            return self._refuse(alert, f"subscription {name!r} is no longer configured")
        if name in disabled:
            return self._refuse(alert, f"subscription {name!r} is disabled: {disabled[name]}")
        return await self._send(alert, sub)

    async def _send(self, alert: Alert, sub: Subscription) -> AttemptRecord:
        attempt = alert.attempts + 1
        body = orjson.dumps(alert_body(alert.alert, attempt, self.base_url))
        stamp = int(self.clock.now().timestamp())
        headers = webhook_headers(alert.alert_id, stamp, body, sub.signing_secrets())
        outcome = await self.sender.send(sub.url, body, headers, allow_private=sub.allow_private)
        now = self.clock.now()
        decision = decide(
            outcome.status_code,
            attempt=attempt,
            now=now,
            created_at=alert.alert.created_at,
            policy=self.policies[sub.name],
            rng=self.rng,
            retry_after=outcome.retry_after,
        )
        return self._record(alert, attempt, outcome, decision)

    def _record(
        self, alert: Alert, attempt: int, outcome: SendOutcome, decision: Decision
    ) -> AttemptRecord:
        now, a = self.clock.now(), alert.alert
        if decision.verdict == "delivered":
            assert outcome.status_code is not None
            event = audit.sent(a, attempt, outcome.status_code, now)
            return AttemptRecord(
                a.alert_id, attempt, "delivered", now, event, status_code=outcome.status_code
            )
        retry = decision.verdict == "retry"
        error = ", ".join(filter(None, (outcome.error, decision.reason))) or "failed"
        if not retry:
            log.error(
                "alert %s to %s failed permanently: %s",
                a.alert_id,
                a.subscription,
                error,
                extra=_context(alert),
            )
        event = audit.failed(
            a,
            attempt,
            error,
            now,
            status_code=outcome.status_code,
            permanent=not retry,
            next_attempt_at=decision.next_attempt_at,
        )
        return AttemptRecord(
            a.alert_id,
            attempt,
            "pending" if retry else "failed",
            now,
            event,
            next_attempt_at=decision.next_attempt_at,
            error=error,
            status_code=outcome.status_code,
            disable_subscription=a.subscription if decision.verdict == "gone" else None,
        )

    def _refuse(self, alert: Alert, reason: str) -> AttemptRecord:
        """Fail without sending: an operator must re-enable or reconfigure."""
        now, a, attempt = self.clock.now(), alert.alert, alert.attempts + 1
        log.error("alert %s not sent: %s", a.alert_id, reason, extra=_context(alert))
        event = audit.failed(
            a,
            attempt,
            "not sent: " + reason,
            now,
            status_code=None,
            permanent=True,
            next_attempt_at=None,
        )
        return AttemptRecord(a.alert_id, attempt, "failed", now, event, error=reason)


def _context(alert: Alert) -> dict[str, str]:
    """Log fields (``infra.logging``): the alert id is the correlation id of its events."""
    return {"correlation_id": alert.alert_id, "case_id": alert.alert.case_id}
