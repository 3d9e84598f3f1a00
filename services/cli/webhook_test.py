"""``safeguard webhook-test URL [--secret whsec_...]``: send one signed test alert.

For integrators wiring a receiver: it is signed exactly as real alerts are
(Standard Webhooks), so a receiver that accepts it will accept them. Without
``--secret`` a fresh secret is generated and printed, to paste into the receiver.
"""

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from infra.config.notifier import Subscription
from infra.webhooks.httpx_sender import HttpxWebhookSender, SendOutcome
from infra.webhooks.signing import generate_secret, webhook_headers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="the receiver's URL (HTTPS, or HTTP to loopback)")
    parser.add_argument("--secret", help="whsec_... secret the receiver verifies with")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")


def run(args: argparse.Namespace) -> int:
    secret = args.secret or generate_secret()
    try:
        Subscription(name="webhook-test", url=args.url, secret=secret)
    except ValueError as e:
        print(f"safeguard: {e}", file=sys.stderr)
        return 2
    if not args.secret:
        print(f"secret: {secret}  (generated; configure your receiver with it)")
    now = datetime.now(UTC)
    msg_id = str(uuid.uuid4())
    body = orjson.dumps(test_body(msg_id, now))
    headers = webhook_headers(msg_id, int(now.timestamp()), body, [secret])
    outcome = asyncio.run(_send(args.url, body, headers, args.timeout))
    _print(msg_id, outcome)
    return 0 if outcome.status_code is not None and 200 <= outcome.status_code < 300 else 1


async def _send(url: str, body: bytes, headers: dict[str, str], seconds: float) -> SendOutcome:
    sender = HttpxWebhookSender(timeout=seconds)
    try:
        return await sender.send(url, body, headers)
    finally:
        await sender.close()


def _print(msg_id: str, outcome: SendOutcome) -> None:
    print(f"webhook-id: {msg_id}")
    if outcome.status_code is None:
        print(f"no response: {outcome.error}")
        return
    verdict = "accepted" if 200 <= outcome.status_code < 300 else "NOT accepted"
    print(f"response: HTTP {outcome.status_code} ({verdict})")
    if outcome.retry_after:
        print(f"retry-after: {outcome.retry_after}")


def test_body(msg_id: str, now: datetime) -> dict[str, Any]:
    """Shaped like a real alert, marked ``test`` so a receiver can drop it."""
    return {
        "type": "test",
        "alert_id": msg_id,
        "attempt": 1,
        "subscription": "webhook-test",
        "escalation_of": None,
        "case_id": "test-case",
        "case_picture_url": "https://safeguard.example.org/cases/test-case/picture",
        "finding": {
            "finding_id": "fnd_test",
            "rule": "not-shared",
            "case_id": "test-case",
            "status": "open",
            "children": ["child-a"],
            "trigger_event_ids": [str(uuid.uuid4())],
            "to_agency": "edt",
            "due_at": (now - timedelta(minutes=5)).isoformat(),
            "concerns_agencies": ["edt"],
            "severity": "high",
            "explanation": "Test alert from `safeguard webhook-test`; no child is involved.",
            "historical": False,
        },
    }
