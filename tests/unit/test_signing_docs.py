"""The `hmac` verifier in docs/webhooks.md works against our own signatures."""

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.webhooks.signing import webhook_headers
from tests.support.notifier_kit import OLD_SECRET, SECRET

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
BODY = b'{"type":"test"}'


def doc_verify() -> Callable[..., bool]:
    [code] = [
        b for b in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S) if "def verify(" in b
    ]
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def test_the_documented_hmac_verifier_accepts_a_safeguard_signature() -> None:
    headers = webhook_headers("msg_1", int(time.time()), BODY, [OLD_SECRET, SECRET])
    assert doc_verify()(SECRET, headers, BODY)


def test_the_documented_hmac_verifier_rejects_tampering_and_stale_timestamps() -> None:
    verify = doc_verify()
    fresh = webhook_headers("msg_1", int(time.time()), BODY, [SECRET])
    stale = webhook_headers("msg_1", int(time.time()) - 600, BODY, [SECRET])
    assert not verify(SECRET, fresh, BODY + b" ")
    assert not verify(SECRET, stale, BODY)
