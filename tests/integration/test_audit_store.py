"""``SQLiteAccessAudit`` on a real file, and the HTTP layer failing closed when
the audit cannot be written."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from infra.audit import AccessRecord, AuditUnavailable, ReadAccess
from infra.sqlite.audit import SQLiteAccessAudit
from infra.sqlite.chain_links import verify_audit_file
from services.embedded.app import create_embedded_app
from tests.support.factories import make_envelope
from tests.support.ingest import auth, make_settings
from tests.support.server import serve_app


def read(case_id: str) -> ReadAccess:
    return ReadAccess(
        "k1",
        "reviewer",
        "reviewer",
        None,
        "GET /cases/{case_id}/picture",
        case_id,
        None,
        "127.0.0.1",
    )


async def test_concurrent_reads_get_consecutive_seqs_and_one_unbroken_chain(tmp_path: Path) -> None:
    audit = SQLiteAccessAudit(tmp_path / "audit.db")
    await audit.start()
    try:
        records = await asyncio.gather(*(audit.record(read(f"case-{i % 3}")) for i in range(60)))
        for_case = await audit.query(case_id="case-1")
        page = await audit.query(after=50, limit=5)
    finally:
        await audit.close()

    assert sorted(r.seq for r in records) == list(range(1, 61))
    assert [r.access.case_id for r in for_case] == ["case-1"] * 20
    assert [r.seq for r in page] == [51, 52, 53, 54, 55]
    assert verify_audit_file(tmp_path / "audit.db").checked == 60


async def test_the_chain_continues_after_a_reopen(tmp_path: Path) -> None:
    for _ in range(2):
        audit = SQLiteAccessAudit(tmp_path / "audit.db")
        await audit.start()
        await audit.record(read("case-1"))
        await audit.close()

    result = verify_audit_file(tmp_path / "audit.db")

    assert result.broken is None and result.checked == 2


async def test_a_closed_audit_refuses_to_record(tmp_path: Path) -> None:
    audit = SQLiteAccessAudit(tmp_path / "audit.db")
    await audit.start()
    await audit.close()

    with pytest.raises(AuditUnavailable):
        await audit.record(read("case-1"))


class BrokenAudit:
    """An ``AccessAudit`` whose disk is gone."""

    async def record(self, access: ReadAccess) -> AccessRecord:
        raise AuditUnavailable("disk I/O error")

    async def query(self, **_: Any) -> list[AccessRecord]:
        raise AuditUnavailable("disk I/O error")

    async def close(self) -> None:
        return None


def test_a_read_that_cannot_be_audited_is_refused_with_503(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    apps: list[FastAPI] = []

    def factory() -> FastAPI:
        apps.append(create_embedded_app(settings))
        return apps[0]

    envelope = make_envelope()
    with serve_app(factory) as url, httpx.Client(base_url=url, timeout=10) as http:
        assert http.post("/police/events", json=envelope, headers=auth("police")).status_code == 201
        apps[0].state.access_audit = BrokenAudit()
        response = http.get(f"/police/events/{envelope['event_id']}", headers=auth("police"))

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert envelope["case_id"] not in response.text


async def test_two_writers_on_one_file_keep_one_chain(tmp_path: Path) -> None:
    """As the services deployment runs it: several processes, one audit file."""
    writers = [SQLiteAccessAudit(tmp_path / "audit.db") for _ in range(2)]
    for writer in writers:
        await writer.start()
    try:
        await asyncio.gather(*(writers[i % 2].record(read(f"case-{i}")) for i in range(40)))
    finally:
        for writer in writers:
            await writer.close()

    result = verify_audit_file(tmp_path / "audit.db")

    assert result.broken is None and result.checked == 40
