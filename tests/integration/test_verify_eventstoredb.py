"""The EventStoreDB hash chain: the sealer writes ``safeguard-chain``, and
``safeguard verify`` walks it beside the store.

Against ``FakeKurrentDB`` (tampered with directly, as an insider with disk access
could) and, where a Docker engine answers, a real KurrentDB.
"""

import argparse
import asyncio
import base64
import dataclasses
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import orjson
import pytest
from kurrentdbclient import RecordedEvent as ESDBEvent

from events.records import RecordedEvent
from infra.config import Settings
from infra.eventstoredb import EventStoreDBEventStore
from infra.integrity.ports import ChainConflict
from infra.integrity.sealed_walk import SealedChainSource, verify_sealed
from infra.integrity.sealer import ChainSealer, seal_forever
from infra.integrity.sealing import ChainHead, Sealed
from infra.store import chain
from services.cli.verify import BROKEN, INTACT, verify_source
from services.relay.app import create_app
from services.relay.checkpoint import SQLiteRelayCheckpoint
from tests.support.docker import kurrentdb_uri
from tests.support.factories import make_submission
from tests.support.fake_kurrentdb import FakeLog, FakeStoreFactory

EVENTS = 7
SEED = base64.b64encode(bytes(range(32))).decode()


# --- helpers -------------------------------------------------------------------------


async def fill(factory: FakeStoreFactory, n: int) -> None:
    async with factory.open() as store:
        for i in range(n):
            await store.append([make_submission(case_id=f"case-{i % 2}")])


async def seal(factory: FakeStoreFactory, *, batch: int = 3) -> ChainHead:
    async with factory.open() as store:
        sealer = ChainSealer(store, store, store.chain_log(), batch=batch)
        await sealer.resume()
        return await sealer.seal_available()


async def verify(factory: FakeStoreFactory, *, start: int = 1) -> chain.Verified:
    async with factory.open() as store:
        return await SealedChainSource(store, store.chain_log()).verify(start=start)


async def sealed_links(factory: FakeStoreFactory) -> list[Sealed]:
    async with factory.open() as store:
        return [link async for link in store.chain_log().links()]


def case_indexes(log: FakeLog) -> list[int]:
    """Where each case event sits in ``$all``: index ``p - 1`` is position ``p``."""
    return [i for i, e in enumerate(log.events) if e.stream_name.startswith("case-")]


def edit_body(log: FakeLog, position: int) -> None:
    i = case_indexes(log)[position - 1]
    data = bytearray(log.events[i].data)
    data[data.index(b"case-")] = ord("K")
    log.events[i] = dataclasses.replace(log.events[i], data=bytes(data))


def swap(log: FakeLog, a: int, b: int) -> None:
    """Two events trade places in ``$all`` (what each holds moves, the log does not)."""
    i, j = (case_indexes(log)[p - 1] for p in (a, b))
    x, y = log.events[i], log.events[j]
    log.events[i] = dataclasses.replace(x, data=y.data, id=y.id, type=y.type)
    log.events[j] = dataclasses.replace(y, data=x.data, id=x.id, type=x.type)


def chain_events(log: FakeLog) -> list[ESDBEvent]:
    return log.stream("safeguard-chain")


@pytest.fixture
async def sealed() -> FakeStoreFactory:
    """A store of ``EVENTS`` events, sealed three links per chain event."""
    factory = FakeStoreFactory()
    await fill(factory, EVENTS)
    await seal(factory)
    return factory


# --- sealing then verifying -------------------------------------------------------------


async def test_a_sealed_store_verifies_intact_over_every_position(
    sealed: FakeStoreFactory,
) -> None:
    result = await verify(sealed)

    assert result.broken is None and result.position == EVENTS and result.checked == EVENTS
    assert len(chain_events(sealed.log)) == 3  # 3 + 3 + 1 links


async def test_the_chain_is_the_per_row_chain_over_the_bytes_eventstoredb_stores(
    sealed: FakeStoreFactory,
) -> None:
    prev = chain.GENESIS
    for i in case_indexes(sealed.log):
        prev = chain.link(prev, sealed.log.events[i].data)

    result = await verify(sealed)

    assert result.chain_hash == prev


async def test_an_edited_body_is_reported_at_its_position(sealed: FakeStoreFactory) -> None:
    edit_body(sealed.log, 3)

    result = await verify(sealed)

    assert result.broken == chain.Break(3, "the stored event does not match its chain hash")
    assert result.position == 2


async def test_a_deleted_event_is_reported_at_its_position(sealed: FakeStoreFactory) -> None:
    sealed_ids = [link.event_id for link in await sealed_links(sealed)]
    del sealed.log.events[case_indexes(sealed.log)[3]]

    result = await verify(sealed)

    assert result.broken is not None and result.broken.position == 4
    assert f"{sealed_ids[3]} was sealed here; the store holds {sealed_ids[4]}" in (
        result.broken.reason
    )


async def test_a_deleted_last_event_is_reported(sealed: FakeStoreFactory) -> None:
    del sealed.log.events[case_indexes(sealed.log)[-1]]

    result = await verify(sealed)

    assert result.broken is not None and result.broken.position == EVENTS
    assert "the store no longer holds it" in result.broken.reason


async def test_two_reordered_events_are_reported_at_the_first(sealed: FakeStoreFactory) -> None:
    swap(sealed.log, 2, 5)

    result = await verify(sealed)

    assert result.broken is not None and result.broken.position == 2


async def test_a_chain_stream_that_disagrees_with_the_store_is_reported(
    sealed: FakeStoreFactory,
) -> None:
    first = chain_events(sealed.log)[1]  # positions 4..6
    links = orjson.loads(first.data)
    links[1]["chain_hash"] = "00" * 32
    i = sealed.log.events.index(first)
    sealed.log.events[i] = dataclasses.replace(first, data=orjson.dumps(links))

    result = await verify(sealed)

    assert result.broken is not None and result.broken.position == 5


async def test_a_chain_event_that_is_not_links_is_reported_after_the_last_good_one(
    sealed: FakeStoreFactory,
) -> None:
    last = chain_events(sealed.log)[-1]
    i = sealed.log.events.index(last)
    sealed.log.events[i] = dataclasses.replace(last, data=b"rewritten by hand")

    result = await verify(sealed)

    assert result.broken is not None and result.broken.position == EVENTS
    assert "is not a list of links" in result.broken.reason


async def test_a_walk_in_small_pages_finds_the_same_break(sealed: FakeStoreFactory) -> None:
    edit_body(sealed.log, 6)

    async with sealed.open() as store:
        result = await verify_sealed(store, store.chain_log(), page=2)

    assert result.broken is not None and result.broken.position == 6 and result.checked == 5


async def test_from_position_checks_only_the_tail(sealed: FakeStoreFactory) -> None:
    edit_body(sealed.log, 2)

    result = await verify(sealed, start=4)

    assert result.broken is None and result.checked == EVENTS - 3


# --- one sealer, durable resume --------------------------------------------------------


async def test_a_second_sealer_cannot_extend_the_chain_it_did_not_read(
    sealed: FakeStoreFactory,
) -> None:
    await fill(sealed, 2)
    async with sealed.open() as store:
        one = ChainSealer(store, store, store.chain_log())
        two = ChainSealer(store, store, store.chain_log())
        await one.resume()
        await two.resume()

        await one.seal_available()
        with pytest.raises(ChainConflict):
            await two.seal_available()
        await two.resume()  # what seal_forever does after a lost race
        head = await two.seal_available()

    assert head.position == EVENTS + 2
    positions = [link.position for link in await sealed_links(sealed)]
    assert positions == list(range(1, EVENTS + 3))
    assert (await verify(sealed)).broken is None


async def test_a_restarted_sealer_resumes_without_duplicating_links(
    sealed: FakeStoreFactory,
) -> None:
    before = len(chain_events(sealed.log))
    await fill(sealed, 4)

    await seal(sealed, batch=100)
    await seal(sealed, batch=100)  # nothing new: writes nothing

    positions = [link.position for link in await sealed_links(sealed)]
    assert positions == list(range(1, EVENTS + 5))
    assert len(chain_events(sealed.log)) == before + 1


async def test_two_sealers_running_side_by_side_seal_each_position_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    factory = FakeStoreFactory()
    reached = asyncio.Event()

    def on_sealed(head: ChainHead) -> None:
        if head.position >= 6:
            reached.set()

    async with factory.open() as store:
        sealers = [
            ChainSealer(store, store, store.chain_log(), linger=0, on_sealed=on_sealed)
            for _ in range(2)
        ]
        tasks = [asyncio.create_task(seal_forever(s)) for s in sealers]
        for i in range(6):
            await store.append([make_submission(case_id=f"case-{i}")])
            await asyncio.sleep(0)  # let both sealers wake on each append
        async with asyncio.timeout(10):
            await reached.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    positions = [link.position for link in await sealed_links(factory)]
    assert positions == list(range(1, 7))
    assert "another sealer extended safeguard-chain" in caplog.text  # the race did happen
    assert (await verify(factory)).broken is None


async def test_the_sealer_follows_live_appends() -> None:
    factory = FakeStoreFactory()
    reached = asyncio.Event()
    async with factory.open() as store:
        sealer = ChainSealer(
            store,
            store,
            store.chain_log(),
            linger=0,
            on_sealed=lambda head: reached.set() if head.position >= 5 else None,
        )
        task = asyncio.create_task(sealer.run())
        for i in range(5):
            await store.append([make_submission(case_id=f"case-{i}")])
        async with asyncio.timeout(10):
            await reached.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    result = await verify(factory)
    assert result.broken is None and result.position == 5


# --- the command: checkpoints in the SQLite format ------------------------------------


def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        store={"backend": "eventstoredb"},
        trust={"signing_key_seed": SEED},
    )


def args(**given: object) -> argparse.Namespace:
    defaults: dict[str, object] = {
        "start": 1,
        "checkpoint": None,
        "audit": False,
        "export_checkpoint": None,
    }
    return argparse.Namespace(**{**defaults, **given})


async def command(factory: FakeStoreFactory, tmp_path: Path, **given: object) -> int:
    async with factory.open() as store:
        source = SealedChainSource(store, store.chain_log())
        return await verify_source(source, settings(tmp_path), args(**given))


async def test_verify_reports_the_broken_position_and_exits_one(
    sealed: FakeStoreFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_body(sealed.log, 3)

    code = await command(sealed, tmp_path)

    assert code == BROKEN
    assert "BROKEN at position 3" in capsys.readouterr().out


async def test_verify_notes_events_the_sealer_has_not_reached(
    sealed: FakeStoreFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await fill(sealed, 2)

    code = await command(sealed, tmp_path)

    out = capsys.readouterr().out
    assert code == INTACT
    assert f"positions 1..{EVENTS}" in out and "2 newer events are not sealed yet" in out


async def test_an_old_checkpoint_detects_a_store_rewritten_with_a_fresh_chain(
    sealed: FakeStoreFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = tmp_path / "checkpoint.json"
    assert await command(sealed, tmp_path, export_checkpoint=kept) == INTACT
    assert orjson.loads(kept.read_bytes())["format"] == "safeguard-checkpoint/1"
    edit_body(sealed.log, 2)
    sealed.log.events = [e for e in sealed.log.events if e.stream_name != "safeguard-chain"]
    await seal(sealed)  # the insider reseals the rewritten history
    capsys.readouterr()

    assert await command(sealed, tmp_path) == INTACT  # the chain alone cannot tell
    code = await command(sealed, tmp_path, checkpoint=kept)

    assert code == BROKEN
    assert f"rewritten at or before {EVENTS}" in capsys.readouterr().out


async def test_a_checkpoint_still_holds_after_more_events_are_sealed(
    sealed: FakeStoreFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = tmp_path / "checkpoint.json"
    await command(sealed, tmp_path, export_checkpoint=kept)
    await fill(sealed, 3)
    await seal(sealed)

    code = await command(sealed, tmp_path, checkpoint=kept)

    assert code == INTACT
    assert f"checkpoint holds: position {EVENTS}" in capsys.readouterr().out


# --- where the sealer runs: the relay ---------------------------------------------------


class RecordingPublisher:
    def __init__(self) -> None:
        self.published: list[RecordedEvent] = []

    async def start(self) -> None:
        return None

    async def publish(self, events: Sequence[RecordedEvent]) -> None:
        self.published.extend(events)

    async def close(self) -> None:
        return None


async def test_the_relay_seals_an_eventstoredb_store(tmp_path: Path) -> None:
    factory = FakeStoreFactory()
    await fill(factory, EVENTS)
    async with factory.open() as store:
        app = create_app(
            settings(tmp_path),
            store=store,
            publisher=RecordingPublisher(),
            checkpoint=SQLiteRelayCheckpoint(tmp_path / "relay.db"),
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://relay"
            ) as client,
        ):
            health = await reported(client, sealed=EVENTS)

    assert health["sealed"] == EVENTS
    assert (await verify(factory)).position == EVENTS


async def reported(client: httpx.AsyncClient, *, sealed: int) -> dict[str, object]:
    """Poll /healthz (a fact, under a deadline) until it reports ``sealed``."""
    async with asyncio.timeout(20):
        while True:
            response = await client.get("/healthz")
            body: dict[str, object] = response.json()
            if response.status_code == 200 and body.get("sealed") == sealed:
                return body
            await asyncio.sleep(0.01)


# --- a real KurrentDB -------------------------------------------------------------------


@pytest.fixture(scope="module")
def kurrentdb() -> Iterator[str]:
    yield from kurrentdb_uri()


@pytest.mark.docker
async def test_on_kurrentdb_sealing_verifies_and_a_second_sealer_is_refused(
    kurrentdb: str,
) -> None:
    category = f"case{uuid.uuid4().hex[:12]}"
    async with EventStoreDBEventStore(kurrentdb, category=category) as store:
        for i in range(EVENTS):
            await store.append([make_submission(case_id=f"case-{i % 2}")])
        one = ChainSealer(store, store, store.chain_log(), batch=3)
        two = ChainSealer(store, store, store.chain_log(), batch=3)
        await one.resume()
        await two.resume()

        await one.seal_available()
        with pytest.raises(ChainConflict):
            await two.seal_available()
        result = await SealedChainSource(store, store.chain_log()).verify()

    assert result.broken is None and result.position == EVENTS
