"""Standard Webhooks signatures, checked with the reference library."""

import base64
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from infra.webhooks.signing import generate_secret, webhook_headers
from tests.support.notifier_kit import OLD_SECRET, SECRET

BODY = b'{"type":"finding.opened","alert_id":"a1"}'


def headers(
    body: bytes = BODY, at: int | None = None, secrets: list[str] | None = None
) -> dict[str, str]:
    return webhook_headers("msg_1", at or int(time.time()), body, secrets or [SECRET])


def test_signature_verifies_with_the_standardwebhooks_reference_library() -> None:
    assert Webhook(SECRET).verify(BODY, headers()) == {"type": "finding.opened", "alert_id": "a1"}


def test_tampered_body_fails_verification() -> None:
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY.replace(b"a1", b"a2"), headers())


def test_timestamp_older_than_five_minutes_fails_verification() -> None:
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, headers(at=int(time.time()) - 600))


def test_wrong_secret_fails_verification() -> None:
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(BODY, headers())


def test_during_rotation_receivers_holding_either_secret_verify() -> None:
    rotated = headers(secrets=[SECRET, OLD_SECRET])
    assert len(rotated["webhook-signature"].split(" ")) == 2
    Webhook(SECRET).verify(BODY, rotated)
    Webhook(OLD_SECRET).verify(BODY, rotated)


def test_signature_is_v1_base64_hmac_sha256() -> None:
    version, signature = headers()["webhook-signature"].split(",")
    assert version == "v1" and len(base64.b64decode(signature)) == 32


def test_generated_secrets_are_whsec_with_32_bytes() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
