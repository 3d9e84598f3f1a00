"""``safeguard webhook-test`` against a real receiver."""

import asyncio
import subprocess
import sys
from pathlib import Path

import orjson
from standardwebhooks.webhooks import Webhook

from tests.support.notifier_kit import SECRET
from tests.support.receiver import Receiver

REPO = Path(__file__).resolve().parents[2]


async def webhook_test(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "services.cli.main", "webhook-test", *args]
    return await asyncio.to_thread(
        subprocess.run, command, cwd=REPO, capture_output=True, text=True, timeout=30
    )


async def test_webhook_test_sends_a_signed_test_alert_and_passes_a_verifying_receiver() -> None:
    rx = await Receiver(secret=SECRET).start()
    try:
        result = await webhook_test(rx.url, "--secret", SECRET, "--allow-private")
    finally:
        await rx.stop()
    assert result.returncode == 0, result.stderr
    assert "HTTP 200 (accepted)" in result.stdout
    assert "passed: a request with a wrong signature was refused (400)" in result.stdout
    assert "passed: a request with a stale timestamp was refused (400)" in result.stdout
    request, wrong_signature, stale = rx.requests
    assert Webhook(SECRET).verify(request.body, request.headers)["type"] == "test"
    assert orjson.loads(request.body)["alert_id"] == request.headers["webhook-id"]
    assert [wrong_signature.status, stale.status] == [400, 400]


async def test_webhook_test_fails_loudly_when_the_receiver_accepts_forged_alerts() -> None:
    naive = await Receiver().start()  # answers 200 to anything, signed or not
    try:
        result = await webhook_test(naive.url, "--secret", SECRET, "--allow-private")
    finally:
        await naive.stop()
    assert result.returncode == 3
    assert "HTTP 200 (accepted)" in result.stdout
    assert "ACCEPTED a request with a wrong signature (HTTP 200)" in result.stderr
    assert "ACCEPTED a request with a stale timestamp (HTTP 200)" in result.stderr
    assert len(naive.requests) == 3


async def test_webhook_test_refuses_a_loopback_receiver_without_allow_private() -> None:
    result = await webhook_test("http://127.0.0.1:9/hook")
    assert result.returncode == 2
    assert "loopback" in result.stderr and "--allow-private" in result.stderr


async def test_webhook_test_reports_a_rejection_and_exits_non_zero() -> None:
    rx = await Receiver().start()
    rx.fail_next(1, status=401)
    try:
        result = await webhook_test(rx.url, "--allow-private")
    finally:
        await rx.stop()
    assert result.returncode == 1
    assert "secret: whsec_" in result.stdout and "HTTP 401 (NOT accepted)" in result.stdout


async def test_webhook_test_refuses_plain_http_to_a_remote_host() -> None:
    result = await webhook_test("http://pager.example.org/hook")
    assert result.returncode == 2 and "HTTPS" in result.stderr
