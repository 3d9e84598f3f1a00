"""``ESDBChainLog``: the hash chain's links, in the ``safeguard-chain`` stream.

Each event of the stream is one sealed batch; its data is a JSON array of
``{"position", "event_id", "chain_hash"}``. Every append names the revision the
sealer read, so two sealers cannot both extend the chain (the second gets
``ChainConflict``). Like the case streams, this stream must never be truncated
or scavenged: a verifier reads it from its first event.
"""

from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import uuid4

import orjson
from kurrentdbclient import AsyncKurrentDBClient, NewEvent, StreamState
from kurrentdbclient import RecordedEvent as ESDBEvent
from kurrentdbclient.exceptions import KurrentDBClientError, NotFoundError, WrongCurrentVersionError

from infra.integrity import sealing
from infra.integrity.ports import ChainConflict, CorruptChain
from infra.integrity.sealing import ChainHead, Sealed
from infra.store.port import StoreUnavailable

CHAIN_STREAM = "safeguard-chain"
EVENT_TYPE = "chain.sealed"
PAGE = 100
"""Chain events per read: each holds up to a sealer batch of links."""


class ESDBChainLog:
    def __init__(self, client: AsyncKurrentDBClient, stream: str = CHAIN_STREAM) -> None:
        self._client, self.stream = client, stream

    async def head(self) -> ChainHead:
        last = await self._read(None, backwards=True, limit=1)
        if not last:
            return ChainHead()
        return sealing.after(ChainHead(), decode(last[0]), last[0].stream_position)

    async def append(self, links: Sequence[Sealed], *, after: ChainHead) -> ChainHead:
        if not links:
            return after
        data = orjson.dumps([link.to_json() for link in links])
        event = NewEvent(type=EVENT_TYPE, data=data, id=uuid4())
        expected = -1 if after.revision is None else after.revision
        try:
            await self._client.append_to_stream(
                self.stream,
                events=[event],
                current_version=StreamState.NO_STREAM if expected < 0 else expected,
            )
        except WrongCurrentVersionError as e:
            actual = e.actual_version if isinstance(e.actual_version, int) else -1
            raise ChainConflict(self.stream, expected, actual) from e
        except KurrentDBClientError as e:
            raise StoreUnavailable(f"EventStoreDB could not append to {self.stream}: {e!r}") from e
        return sealing.after(after, links, expected + 1)

    async def links(self, from_position: int = 1) -> AsyncIterator[Sealed]:
        revision = 0
        while page := await self._read(revision, limit=PAGE):
            for event in page:
                for link in decode(event):
                    if link.position >= from_position:
                        yield link
            revision = page[-1].stream_position + 1
            if len(page) < PAGE:
                return

    async def _read(self, revision: int | None, **options: Any) -> tuple[ESDBEvent, ...]:
        try:
            events: tuple[ESDBEvent, ...] = await self._client.get_stream(
                self.stream, stream_position=revision, **options
            )
            return events
        except NotFoundError:
            return ()
        except KurrentDBClientError as e:
            raise StoreUnavailable(f"EventStoreDB could not read {self.stream}: {e!r}") from e


def decode(event: ESDBEvent) -> list[Sealed]:
    """One chain event's links; ``CorruptChain`` if it is not what a sealer writes."""
    try:
        items = orjson.loads(event.data)
        links = [
            Sealed(int(i["position"]), str(i["event_id"]), str(i["chain_hash"])) for i in items
        ]
        for link in links:
            bytes.fromhex(link.chain_hash)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise CorruptChain(
            f"{event.stream_name} event {event.stream_position} is not a list of links"
        ) from e
    if not links:
        raise CorruptChain(f"{event.stream_name} event {event.stream_position} holds no links")
    return links
