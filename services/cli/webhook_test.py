"""``safeguard webhook-test URL [--secret whsec_...]``: send one signed test alert,
then two forged ones.

For integrators wiring a receiver: the first is signed exactly as real alerts
are (Standard Webhooks), so a receiver that accepts it will accept them. Then a
request with a wrong signature and one with a stale timestamp: a receiver that
accepts either would page a duty manager for anyone who can reach it, so that
fails the test loudly. Without ``--secret`` a fresh secret is generated and
printed, to paste into the receiver.
"""

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
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
    parser.add_argument(
        "--allow-private",
        action="store_true",
        help="the receiver is on a private or loopback address (as allow_private = true)",
    )


EXIT_OK, EXIT_NOT_ACCEPTED, EXIT_USAGE, EXIT_ACCEPTS_FORGERIES = 0, 1, 2, 3
STALE = timedelta(minutes=10)
Send = Callable[[bytes, dict[str, str]], Awaitable[SendOutcome]]


def run(args: argparse.Namespace) -> int:
    secret = args.secret or generate_secret()
    try:
        Subscription(
            name="webhook-test", url=args.url, secret=secret, allow_private=args.allow_private
        )
    except ValueError as e:
        hint = " (here: --allow-private)" if "allow_private" in str(e) else ""
        print(f"safeguard: {e}{hint}", file=sys.stderr)
        return EXIT_USAGE
    if not args.secret:
        print(f"secret: {secret}  (generated; configure your receiver with it)")
    return asyncio.run(_exchange(args, secret))


async def _exchange(args: argparse.Namespace, secret: str) -> int:
    """The signed test alert, then, if it was accepted, the forgeries: one sender for all."""
    sender = HttpxWebhookSender(timeout=args.timeout)

    async def send(body: bytes, headers: dict[str, str]) -> SendOutcome:
        return await sender.send(args.url, body, headers, allow_private=args.allow_private)

    try:
        now = datetime.now(UTC)
        msg_id, body, headers = _signed(now, secret)
        outcome = await send(body, headers)
        _print(msg_id, outcome)
        if not _accepted(outcome):
            return EXIT_NOT_ACCEPTED
        return await _probe_forgeries(send, now, secret)
    finally:
        await sender.close()


async def _probe_forgeries(send: Send, now: datetime, secret: str) -> int:
    """A wrong signature and a stale timestamp must both be refused."""
    forgeries = {
        "a wrong signature": _signed(now, generate_secret()),
        "a stale timestamp": _signed(now - STALE, secret),
    }
    failed = False
    for what, (_, body, headers) in forgeries.items():
        outcome = await send(body, headers)
        if _accepted(outcome):
            failed = True
            print(
                f"FAIL: the receiver ACCEPTED a request with {what} (HTTP {outcome.status_code});"
                " it must verify webhook-signature and reject timestamps over 5 minutes old",
                file=sys.stderr,
            )
        else:
            answer = outcome.error if outcome.status_code is None else outcome.status_code
            print(f"passed: a request with {what} was refused ({answer})")
    return EXIT_ACCEPTS_FORGERIES if failed else EXIT_OK


def _signed(at: datetime, secret: str) -> tuple[str, bytes, dict[str, str]]:
    msg_id = str(uuid.uuid4())
    body = orjson.dumps(test_body(msg_id, at))
    return msg_id, body, webhook_headers(msg_id, int(at.timestamp()), body, [secret])


def _accepted(outcome: SendOutcome) -> bool:
    return outcome.status_code is not None and 200 <= outcome.status_code < 300


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
