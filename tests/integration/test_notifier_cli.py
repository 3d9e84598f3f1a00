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


async def test_webhook_test_sends_a_signed_test_alert_and_prints_the_response() -> None:
    rx = await Receiver().start()
    try:
        result = await webhook_test(rx.url, "--secret", SECRET)
    finally:
        await rx.stop()
    assert result.returncode == 0, result.stderr
    assert "HTTP 200 (accepted)" in result.stdout
    [request] = rx.requests
    assert Webhook(SECRET).verify(request.body, request.headers)["type"] == "test"
    assert orjson.loads(request.body)["alert_id"] == request.headers["webhook-id"]


async def test_webhook_test_reports_a_rejection_and_exits_non_zero() -> None:
    rx = await Receiver().start()
    rx.fail_next(1, status=401)
    try:
        result = await webhook_test(rx.url)
    finally:
        await rx.stop()
    assert result.returncode == 1
    assert "secret: whsec_" in result.stdout and "HTTP 401 (NOT accepted)" in result.stdout


async def test_webhook_test_refuses_plain_http_to_a_remote_host() -> None:
    result = await webhook_test("http://pager.example.org/hook")
    assert result.returncode == 2 and "HTTPS" in result.stderr
