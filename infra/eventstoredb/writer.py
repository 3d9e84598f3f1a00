"""Writing one append to EventStoreDB atomically, whatever the server version offers.

- One case: ``append_to_stream`` with the expected revision (every version).
- Several cases, KurrentDB 26.1+: ``append_records`` — one atomic write, records
  in submission order, one stream-state check per case.
- Several cases, KurrentDB 25.1+: ``multi_append_to_stream`` — atomic, but the
  records are grouped by case, so within that batch positions follow case
  order rather than submission order (each case keeps its own order).
- Older servers: ``MultiCaseBatchUnsupported``; send one case per batch.

Version conflicts surface as ``StaleVersion`` for the store to re-plan.
"""

from collections.abc import Mapping, Sequence
from typing import Literal

from kurrentdbclient import (
    AsyncKurrentDBClient,
    NewEvent,
    NewEvents,
    NewRecord,
    StreamState,
    StreamStateCheck,
)
from kurrentdbclient.exceptions import (
    ConsistencyChecksFailedError,
    GrpcError,
    KurrentDBClientError,
    WrongCurrentVersionError,
)

from infra.store.port import StoreError, StoreUnavailable

Mode = Literal["records", "streams", "none"]


class MultiCaseBatchUnsupported(StoreError):
    """The server has no atomic multi-stream append (before KurrentDB 25.1):
    send one case per batch, or upgrade."""


class StaleVersion(Exception):
    """A stream was not at the expected revision: someone appended meanwhile."""


def revision(version: int) -> int | StreamState:
    """Our stream version (0 = no stream) as ESDB's expected revision."""
    return StreamState.NO_STREAM if version == 0 else version - 1


class ESDBWriter:
    def __init__(self, client: AsyncKurrentDBClient) -> None:
        self._client = client
        self.mode: Mode = "records"
        """The best multi-case write the server accepted (downgraded on UNIMPLEMENTED)."""

    async def write(
        self, records: Sequence[tuple[str, NewEvent]], versions: Mapping[str, int]
    ) -> None:
        """``records``: (stream, event) in submission order; ``versions`` by stream."""
        streams = list(dict.fromkeys(stream for stream, _ in records))
        try:
            if len(streams) == 1:
                await self._client.append_to_stream(
                    streams[0],
                    events=[e for _, e in records],
                    current_version=revision(versions[streams[0]]),
                )
            else:
                await self._write_several(records, streams, versions)
        except (WrongCurrentVersionError, ConsistencyChecksFailedError) as e:
            raise StaleVersion(str(e)) from e
        except KurrentDBClientError as e:
            raise StoreUnavailable(f"EventStoreDB could not append: {e!r}") from e

    async def _write_several(
        self,
        records: Sequence[tuple[str, NewEvent]],
        streams: list[str],
        versions: Mapping[str, int],
    ) -> None:
        if self.mode == "records":
            try:
                await self._client.append_records(
                    [_record(stream, e) for stream, e in records],
                    [StreamStateCheck(s, revision(versions[s])) for s in streams],
                )
                return
            except GrpcError as e:
                if not _unimplemented(e):
                    raise
                self.mode = "streams"
        if self.mode == "streams":
            batches = [
                NewEvents(s, [e for t, e in records if t == s], revision(versions[s]))
                for s in streams
            ]
            try:
                await self._client.multi_append_to_stream(batches)
                return
            except GrpcError as e:
                if not _unimplemented(e):
                    raise
                self.mode = "none"
        raise MultiCaseBatchUnsupported(
            "a batch spanning several cases needs KurrentDB 25.1+ (multi-stream append)"
        )


def _record(stream: str, event: NewEvent) -> NewRecord:
    return NewRecord(
        stream_name=stream,
        type=event.type,
        data=event.data,
        metadata=event.metadata,
        content_type=event.content_type,
        id=event.id,
    )


def _unimplemented(error: GrpcError) -> bool:
    return "UNIMPLEMENTED" in str(error).upper()
