"""A duty manager's list of alerts is filtered and paged inside the outbox (SQL over a
real SQLite file), by the same rule the API checks one alert with
(``findings.concerns``): the two must never disagree."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.agencies import Agency
from events.findings import concerns
from services.notifier.adapters.sqlite_outbox import SQLiteOutbox
from services.notifier.domain.routing import plan_alerts
from services.notifier.ports import AlertQuery
from tests.support.notifier_kit import make_finding, make_subscription

AGENCIES = [a.value for a in Agency]
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

finding_parties = st.tuples(
    st.lists(st.sampled_from(AGENCIES), unique=True, max_size=3),
    st.none() | st.sampled_from(AGENCIES),
)


Parties = list[tuple[list[str], str | None]]


async def filled_outbox(path: Path, parties: Parties) -> SQLiteOutbox:
    outbox = SQLiteOutbox(path)
    await outbox.start()
    findings = [
        make_finding(n, concerns_agencies=tuple(named), to_agency=to)
        for n, (named, to) in enumerate(parties)
    ]
    planned = plan_alerts(findings, [make_subscription("rota", "http://127.0.0.1:9/")], NOW)
    # distinct creation times, so "newest first" is one order
    planned = [replace(a, created_at=NOW + timedelta(seconds=n)) for n, a in enumerate(planned)]
    await outbox.enqueue(planned, [f.to_json() for f in findings])
    return outbox


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parties=st.lists(finding_parties, min_size=1, max_size=30), agency=st.sampled_from(AGENCIES))
def test_the_outbox_filter_shows_exactly_the_alerts_that_concern_the_agency(
    tmp_path_factory: pytest.TempPathFactory,
    parties: list[tuple[list[str], str | None]],
    agency: str,
) -> None:
    async def scenario(path: Path) -> None:
        outbox = await filled_outbox(path, parties)
        try:
            everything = await outbox.list_alerts(AlertQuery(), 1000)
            query = AlertQuery(concerning=agency)
            shown = await outbox.list_alerts(query, 1000)
            expected = [a.alert_id for a in everything if concerns(a.alert.finding, agency)]
            assert [a.alert_id for a in shown] == expected
            assert await outbox.count_alerts(query) == len(expected)
        finally:
            await outbox.close()

    directory = tmp_path_factory.mktemp("outbox")
    asyncio.run(scenario(directory / "notifier.db"))


async def test_pages_of_one_agencys_open_alerts_cover_them_once_newest_first(
    tmp_path: Path,
) -> None:
    parties = [(["edt"], None), (["police"], "health"), ([], "edt")] * 20
    outbox = await filled_outbox(tmp_path / "notifier.db", parties)
    query = AlertQuery(("pending", "delivered"), concerning="edt")

    pages = [await outbox.list_alerts(query, 7, offset) for offset in range(0, 42, 7)]

    seen = [a for page in pages for a in page]
    assert await outbox.count_alerts(query) == 40 == len(seen) == len({a.alert_id for a in seen})
    assert [a.alert.created_at for a in seen] == sorted(
        (a.alert.created_at for a in seen), reverse=True
    )
    assert await outbox.count_alerts(AlertQuery(("failed",), concerning="edt")) == 0
    await outbox.close()
