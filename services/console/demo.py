"""``safeguard serve --demo``: a loopback subscription so the inbox fills with the
demo case's alerts, and the receiver it posts to, in the same process.

The receiver checks nothing and keeps nothing: it stands in for a duty manager's
pager so that alerts are delivered (not retried for a day) on a machine with no
other service. It is mounted only with ``--demo``.
"""

import base64
import secrets

from fastapi import APIRouter, FastAPI, Response
from pydantic import SecretStr

from infra.config import Settings
from infra.config.notifier import Subscription

RECEIVER_PATH = "/console/demo/pager"
NAME = "demo-duty-managers"


def with_demo_subscription(settings: Settings) -> Settings:
    """The settings plus one subscription taking every finding, posting to this
    server's own loopback receiver; unchanged if one by that name is configured."""
    if any(s.name == NAME for s in settings.subscriptions):
        return settings
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    sub = Subscription(
        name=NAME,
        url=f"http://127.0.0.1:{settings.port}{RECEIVER_PATH}",
        secret=SecretStr(secret),
        allow_private=True,  # its own loopback receiver, by design
    )
    return settings.model_copy(update={"subscriptions": [*settings.subscriptions, sub]})


def mount_demo_receiver(app: FastAPI) -> None:
    router = APIRouter(include_in_schema=False)

    @router.post(RECEIVER_PATH, status_code=204)
    async def pager() -> Response:
        return Response(status_code=204)

    app.include_router(router)
