"""Send-time egress check: every resolved address is checked and the socket pinned to one.

The hostile DNS is a hand-written ``FakeResolver`` (a ``Resolver`` port): we
cannot run a rebinding DNS server here, and the point is what the sender does
with the answer, not how the answer arrived. The loopback receiver is real.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import httpcore
import pytest

from infra.clock import SystemClock
from infra.sqlite.store import SQLiteEventStore
from infra.webhooks.httpx_sender import HttpxWebhookSender
from infra.webhooks.pinned import DestinationRefused, PinnedBackend
from services.notifier.bootstrap import build_notifier
from services.notifier.domain.alerts import alert_id_for
from services.notifier.service import Notifier
from tests.support.notifier_kit import make_finding, make_settings, make_subscription
from tests.support.receiver import Receiver, wait_until

BODY, HEADERS = b"{}", {"webhook-id": "msg_1"}


class FakeResolver:
    """Answers every name with fixed addresses, and counts the questions."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.addresses


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records where a connection was asked for and refuses it (no network)."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        raise httpcore.ConnectError("recorded, not connected")


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        (["10.0.0.5"], "destination address 10.0.0.5 is private"),
        (["169.254.169.254"], "destination address 169.254.169.254 is a cloud metadata address"),
        (["93.184.215.14", "127.0.0.1"], "destination address 127.0.0.1 is loopback"),
        (["::ffff:192.168.0.9"], "is private"),
    ],
)
async def test_a_name_resolving_to_any_non_public_address_is_refused_before_connecting(
    answer: list[str], refused: str
) -> None:
    inner = RecordingBackend()
    backend = PinnedBackend(FakeResolver(*answer), inner=inner)
    with pytest.raises(DestinationRefused, match=refused):
        await backend.connect_tcp("pager.example.org", 443)
    assert inner.connects == []


async def test_the_connection_goes_to_the_checked_address_not_to_a_second_lookup() -> None:
    inner = RecordingBackend()
    resolver = FakeResolver("93.184.215.14", "2606:4700::1111")
    with pytest.raises(httpcore.ConnectError, match="recorded"):
        await PinnedBackend(resolver, inner=inner).connect_tcp("pager.example.org", 443)
    assert resolver.asked == ["pager.example.org"]
    assert inner.connects == [("93.184.215.14", 443), ("2606:4700::1111", 443)]


async def test_sender_refuses_a_name_that_rebinds_to_loopback_and_the_receiver_sees_nothing(
    receiver: Receiver,
) -> None:
    sender = HttpxWebhookSender(resolver=FakeResolver("127.0.0.1"), timeout=2)
    try:
        outcome = await sender.send(f"https://pager.example.org:{receiver.port}/h", BODY, HEADERS)
    finally:
        await sender.close()
    assert outcome.status_code is None
    assert outcome.error == "refused: destination address 127.0.0.1 is loopback"
    assert receiver.requests == []


async def test_loopback_receiver_gets_a_real_request_only_with_allow_private(
    receiver: Receiver,
) -> None:
    sender = HttpxWebhookSender(timeout=2)
    try:
        refused = await sender.send(receiver.url, BODY, HEADERS)
        delivered = await sender.send(receiver.url, BODY, HEADERS, allow_private=True)
    finally:
        await sender.close()
    assert refused.error == "refused: destination address 127.0.0.1 is loopback"
    assert delivered.status_code == 200
    assert [r.webhook_id for r in receiver.requests] == ["msg_1"]


async def test_a_refused_destination_is_a_recorded_delivery_failure_and_delivery_goes_on(
    tmp_path: Path, receiver: Receiver
) -> None:
    subs = [
        make_subscription("edt", "https://pager.example.org/hooks", allow_private=False),
        make_subscription("edt-local", receiver.url, agencies=["edt"]),
    ]
    finding = make_finding()
    refused_id = alert_id_for(finding.finding_id, "open", "edt")
    async with SQLiteEventStore(tmp_path / "events.db") as store:
        settings = make_settings(tmp_path, subs)
        n = await build_notifier(
            settings, store=store, clock=SystemClock(), resolver=FakeResolver("10.0.0.5")
        )
        task = asyncio.create_task(n.run())
        try:
            await n.on_findings([finding])
            await _until_attempted(n, refused_id, 2)
            await wait_until(lambda: len(receiver.accepted) == 1, what="the local delivery")
            alert = await n.alert(refused_id)
        finally:
            await n.close()
            await task
    assert alert.delivery == "pending"
    assert alert.last_error is not None
    assert alert.last_error.startswith("refused: destination address 10.0.0.5 is private")


async def _until_attempted(n: Notifier, alert_id: str, attempts: int) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while (await n.alert(alert_id)).attempts < attempts:
        assert asyncio.get_running_loop().time() < deadline, f"{alert_id} not retried"
        await asyncio.sleep(0.01)
