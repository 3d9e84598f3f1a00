"""``safeguard export-schemas``: write ``events/schemas/<type>.json``."""

import argparse
import sys
from pathlib import Path

from events.jsonschema import SCHEMA_DIR, schema_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=SCHEMA_DIR, help="directory to write")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is out of date"
    )


def run(args: argparse.Namespace) -> int:
    files = schema_files()
    stale = [n for n, text in files.items() if _read(args.out / n) != text]
    extra = sorted(p.name for p in args.out.glob("*.json") if p.name not in files)
    if args.check:
        for name in [*stale, *extra]:
            print(f"out of date: {args.out / name}", file=sys.stderr)
        return 1 if stale or extra else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (args.out / name).write_text(files[name], encoding="utf-8")
    for name in extra:
        (args.out / name).unlink()
    print(f"{len(files)} schemas in {args.out} ({len(stale)} written, {len(extra)} removed)")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None
