"""``safeguard rebuild``: rebuild the joint picture's read model from position 0.

Stop the projection first (or run this against a copy): the read model is one
file and one writer. Nothing is sent to duty managers by a rebuild. The rebuild
goes in the access audit with every case it folded (``cli.access``).
"""

import argparse
import asyncio
import time
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from infra.audit import AuditUnavailable
from infra.config import Settings
from services.cli.access import add_audit_arguments, cli_access, record_cli_access
from services.cli.options import add_settings_arguments, settings_from
from services.http.runtime import open_runtime
from services.projection.bootstrap import open_read_model, read_model_path
from services.projection.casebook import DegradedCase
from services.projection.domain.fold import collector_paused
from services.projection.domain.rules import policy_from_settings
from services.projection.rebuild import RebuildReport, rebuild
from services.projection.replay.neutral import console_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_settings_arguments(parser)
    add_audit_arguments(parser)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    report = asyncio.run(_rebuild(settings))
    console = Console(stderr=True)
    try:
        asyncio.run(record_cli_access(settings, cli_access(args, "rebuild", report.case_ids)))
    except AuditUnavailable as e:
        console.print(f"[red]rebuilt, but the access audit could not record it: {console_text(e)}")
        return 2
    rate = report.events / report.seconds if report.seconds else 0.0
    console.print(
        f"rebuilt {report.events:,} events in {report.cases:,} cases in "
        f"{report.seconds:.1f}s ({rate:,.0f} events/s); {report.open_findings} open findings"
    )
    for case in report.degraded:
        console.print(f"[red]{degraded_line(case)}[/red]", highlight=False)
    return 1 if report.degraded else 0


def degraded_line(case: DegradedCase) -> str:
    """One line an operator can act on: which case, which stage, which event."""
    return f"case {case.case_id} is degraded: {case.cause()}"


async def _rebuild(settings: Settings) -> RebuildReport:
    async with open_runtime(settings) as runtime:
        total = await runtime.store.head_position()
        policy = policy_from_settings(settings.rules)
        model = open_read_model(
            read_model_path(settings), policy, keep_events=settings.store.feed == "kafka"
        )
        columns = (
            *Progress.get_default_columns()[:1],
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        try:
            with (
                Progress(*columns, console=Console(stderr=True)) as progress,
                collector_paused(),
            ):
                task = progress.add_task("rebuilding", total=total)
                return await rebuild(
                    runtime.store,
                    model,
                    policy,
                    now=datetime.now(UTC),
                    timer=time.perf_counter,
                    progress=lambda n: progress.advance(task, n),
                    capacity=settings.projection.cache_cases,
                    workers=settings.projection.rebuild_workers,
                )
        finally:
            model.close()
