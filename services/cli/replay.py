"""``safeguard replay``: the document a case reviewer starts from — the merged
multi-agency chronology, who knew what when, and the findings — as of any moment.

The read goes in the access audit before the document is written (``cli.access``).
"""

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from events.records import RecordedEvent
from infra.audit import AuditUnavailable
from infra.config import Settings
from infra.files import write_private
from services.cli.access import add_audit_arguments, cli_access, record_cli_access
from services.cli.options import add_settings_arguments, settings_from
from services.cli.rebuild import degraded_line
from services.http.runtime import open_runtime
from services.projection.casebook import DegradedCase, Stage, first_failing
from services.projection.domain.policy import RulePolicy
from services.projection.domain.rules import policy_from_settings
from services.projection.replay import render_html, render_json, render_markdown
from services.projection.replay.neutral import console_text
from services.projection.review import review_document

RENDERERS = {"json": render_json, "md": render_markdown, "html": render_html}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_settings_arguments(parser)
    parser.add_argument("--case", required=True, help="case id")
    parser.add_argument("--as-of", type=_aware, help="RFC 3339 moment (default: now)")
    parser.add_argument(
        "--recorded-by", type=_aware, help="leave out events recorded after this moment"
    )
    parser.add_argument("--format", choices=sorted(RENDERERS), default="html")
    parser.add_argument("--out", type=Path, help="file to write (default: stdout)")
    add_audit_arguments(parser)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    console = Console(stderr=True)
    with console.status(f"reading case {args.case}"):
        events = asyncio.run(_read_case(settings, args.case))
    if not events:
        console.print(f"[red]no events for case {console_text(repr(args.case))}[/red]")
        return 1
    try:
        asyncio.run(record_cli_access(settings, cli_access(args, "replay", [args.case])))
    except AuditUnavailable as e:
        console.print(
            f"[red]the access audit is unavailable; nothing was written: {console_text(e)}"
        )
        return 2
    now = datetime.now(UTC)
    policy = policy_from_settings(settings.rules)

    def render(case_events: Sequence[RecordedEvent]) -> str:
        document = review_document(
            args.case,
            case_events,
            policy,
            at=args.as_of or now,
            recorded_by=args.recorded_by,
            generated_at=now,
        )
        return RENDERERS[args.format](document)

    with console.status(f"folding {len(events)} events"):
        try:
            text = render(events)
        except Exception as exc:  # the case is degraded: say where, not a traceback
            case = degraded_case(args.case, events, policy, exc, render)
            console.print(f"[red]{degraded_line(case)}[/red]", highlight=False)
            return 1
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_private(args.out, text.encode("utf-8"))
        console.print(f"wrote {console_text(args.out)} ({len(events)} events)")
    return 0


def degraded_case(
    case_id: str,
    events: list[RecordedEvent],
    policy: RulePolicy,
    error: Exception,
    render: Callable[[Sequence[RecordedEvent]], object],
) -> DegradedCase:
    """What broke the replay: the event after which the fold, or the document,
    fails (found again by bisection), and the kind of error."""
    culprit = first_failing(events, policy, case_id)
    stage: Stage = "fold" if culprit is not None else "evaluate"
    if culprit is None:
        culprit = first_failing(events, policy, case_id, lambda state: render(state.events))
    return DegradedCase.found(case_id, stage, error, culprit, {e.event_id: e for e in events})


async def _read_case(settings: Settings, case_id: str) -> list[RecordedEvent]:
    async with open_runtime(settings) as runtime:
        return await runtime.store.read_case(case_id)


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone offset, e.g. 2017-01-02T12:00:00+00:00")
    return value
