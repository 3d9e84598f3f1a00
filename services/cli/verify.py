"""``safeguard verify``: recompute the store's hash chain and report the first break.

Exit 0 if the chain (and any ``--checkpoint``) holds, 1 on a break or a
mismatch, 2 if verification could not run (no store, no signing key, bad args).
``--export-checkpoint FILE`` signs the verified head; keep that file elsewhere
and a later ``--checkpoint FILE`` proves the history up to it was not rewritten.
Either backend: SQLite's per-row chain, or EventStoreDB's ``safeguard-chain``
stream (``infra.integrity.sources``); the checkpoint format is the same.
Where there is an access audit, the checkpoint also signs its head, so a later
``--checkpoint`` run finds its newest records deleted (or any rewritten).
"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from infra.config import Settings
from infra.files import write_private
from infra.integrity import checkpoint as checkpoints
from infra.integrity.ports import ChainSource
from infra.integrity.sources import open_chain_source
from infra.sqlite.chain_links import verify_audit_file
from infra.store.chain import Verified
from infra.store.port import StoreUnavailable
from services.cli.options import add_settings_arguments, settings_from
from services.http.audit import audit_path

INTACT, BROKEN, CANNOT_RUN = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_settings_arguments(parser)
    parser.add_argument(
        "--from",
        dest="start",
        type=int,
        default=1,
        metavar="POS",
        help="start at this position, trusting the stored hash before it (default 1)",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="also prove the store matches this signed checkpoint",
    )
    parser.add_argument(
        "--audit", action="store_true", help="also verify the access audit's own chain"
    )
    parser.add_argument(
        "--export-checkpoint",
        type=Path,
        metavar="FILE",
        help="after a clean run, write a signed checkpoint of the head to FILE",
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        return asyncio.run(_verify_configured(settings, args))
    except checkpoints.InvalidCheckpoint as e:
        print(f"BROKEN: checkpoint rejected: {e}")
        return BROKEN
    except ValidationError:  # its text may echo a key: say where, not what
        return _fail("the configuration is invalid (check [trust] and [[credentials]])")
    except (StoreUnavailable, OSError, ValueError) as e:
        return _fail(str(e))


async def _verify_configured(settings: Settings, args: argparse.Namespace) -> int:
    async with open_chain_source(settings) as source:
        return await verify_source(source, settings, args)


async def verify_source(source: ChainSource, settings: Settings, args: argparse.Namespace) -> int:
    """The command on any backend's chain: what tests drive with a fake-backed source."""
    result = await source.verify(start=args.start)
    if result.broken is not None:
        print(f"BROKEN at position {result.broken.position}: {result.broken.reason}")
        print(f"  intact up to position {result.position} ({result.checked} checked)")
        return BROKEN
    print(f"intact: positions {args.start}..{result.position} ({result.checked} events)")
    print(f"  head chain hash {result.chain_hash.hex()}")
    if unsealed := await source.unsealed():
        print(f"  note: {unsealed} newer events are not sealed yet (the relay seals them)")
    if args.checkpoint is not None and await _check(settings, source, args.checkpoint) != INTACT:
        return BROKEN
    if args.audit and _check_audit(settings) != INTACT:
        return BROKEN
    if args.export_checkpoint is not None:
        return _export(settings, result, args.export_checkpoint)
    return INTACT


async def _check(settings: Settings, source: ChainSource, file: Path) -> int:
    seed = settings.trust.signing_seed()
    trusted = None if seed is None else checkpoints.public_key_of(seed)
    cp = checkpoints.load(await asyncio.to_thread(file.read_bytes), trusted_key=trusted)
    if trusted is None:
        print("  note: no signing key configured; trusting the key inside the checkpoint")
    prefix = await source.verify(start=1, until=cp.position)
    if prefix.broken is not None or prefix.position < cp.position:
        print(f"BROKEN: the store no longer holds positions 1..{cp.position} of the checkpoint")
        return BROKEN
    if prefix.chain_hash.hex() != cp.chain_hash:
        print(
            f"BROKEN: history up to position {cp.position} differs from the checkpoint"
            f" signed {cp.created_at}: the store was rewritten at or before {cp.position}"
        )
        return BROKEN
    print(f"checkpoint holds: position {cp.position}, signed {cp.created_at}")
    if cp.audit_seq is not None:
        return _check_audit_head(settings, cp, cp.audit_seq)
    return INTACT


def _check_audit_head(settings: Settings, cp: checkpoints.Checkpoint, seq: int) -> int:
    path = audit_path(settings)
    if not path.exists():
        print(f"BROKEN: the access audit {path} is gone; the checkpoint covers {seq}")
        return BROKEN
    held = verify_audit_file(path, until=seq)
    if not _audit_intact(held):
        return BROKEN
    if held.position < seq:
        print(
            f"BROKEN: the access audit holds records 1..{held.position} but the checkpoint"
            f" signed {cp.created_at} covers 1..{seq}: the newest"
            f" {seq - held.position} audit records were deleted"
        )
        return BROKEN
    if held.chain_hash.hex() != cp.audit_chain_hash:
        print(
            f"BROKEN: the access audit up to seq {seq} differs from the checkpoint"
            f" signed {cp.created_at}: it was rewritten at or before seq {seq}"
        )
        return BROKEN
    print(f"checkpoint holds for the access audit: records 1..{seq}")
    return INTACT


def _check_audit(settings: Settings) -> int:
    result = verify_audit_file(audit_path(settings))
    if not _audit_intact(result):
        return BROKEN
    print(f"access audit intact: {result.checked} records")
    return INTACT


def _audit_intact(result: Verified) -> bool:
    """False, having said where, when the access audit's own chain is broken."""
    if result.broken is None:
        return True
    print(f"BROKEN access audit at seq {result.broken.position}: {result.broken.reason}")
    return False


def _export(settings: Settings, result: Verified, file: Path) -> int:
    if result.position < 1:
        return _fail("the store is empty: nothing to checkpoint")
    seed = settings.trust.signing_seed()
    if seed is None:
        return _fail("no signing key: set trust.signing_key_seed or trust.signing_key_path")
    audit = audit_path(settings)
    head = verify_audit_file(audit) if audit.exists() else None
    if head is not None and not _audit_intact(head):
        return BROKEN
    if head is None:
        print(f"  note: no access audit at {audit}; the checkpoint covers the store only")
    cp = checkpoints.sign(
        seed,
        position=result.position,
        chain_hash=result.chain_hash,
        created_at=datetime.now(UTC),
        audit=None if head is None else (head.position, head.chain_hash),
    )
    write_private(file, cp.to_json() + b"\n")
    covers = "" if cp.audit_seq is None else f", access audit records 1..{cp.audit_seq}"
    print(f"checkpoint written to {file}: position {cp.position}{covers}")
    return INTACT


def _fail(message: str) -> int:
    print(f"safeguard verify: {message}", file=sys.stderr)
    return CANNOT_RUN
