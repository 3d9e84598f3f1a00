"""The joint picture through the real embedded server: findings appear within a
second of the post that triggers them, or of their deadline passing."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.cli.demo import post_scenario
from services.projection.scenarios import load_scenario
from tests.support.embedded import embedded, findings
from tests.support.factories import make_envelope
from tests.support.ingest import KEYS, auth, make_settings
from tests.support.scenario import CHILD_K_EXPECTED, ids
from tests.support.server import wait_for


def _triggered_by(event_id: str, url: str, case_id: str) -> bool:
    return any(event_id in f["trigger_event_ids"] for f in findings(url, case_id))


def test_each_child_k_finding_appears_within_one_second_of_its_triggering_post(
    tmp_path: Path,
) -> None:
    slug_to_id = ids("child-k")
    order = [item.event_id for item in load_scenario("child-k")]
    # a finding with several triggers (a conflict) arises with the last of them
    triggering = {
        max((slug_to_id[t] for t in e.triggers), key=order.index) for e in CHILD_K_EXPECTED
    }
    with embedded(make_settings(tmp_path)) as url, httpx.Client() as client:
        for item in load_scenario("child-k"):
            response = client.post(
                f"{url}/{item.agency}/events", json=item.envelope, headers=auth(item.agency)
            )
            assert response.status_code == 201, response.text
            if item.event_id in triggering:
                wait_for(
                    lambda i=item: _triggered_by(i.event_id, url, "child-k"),  # type: ignore[misc]
                    timeout=1.0,
                    what=f"a finding triggered by {item.slug}",
                )
        final = findings(url, "child-k")
    got = {
        (f["rule"], tuple(sorted(f["trigger_event_ids"])), f["to_agency"], f["status"])
        for f in final
    }
    expected = {
        (e.rule, tuple(sorted(slug_to_id[t] for t in e.triggers)), e.to_agency, e.status)
        for e in CHILD_K_EXPECTED
    }
    assert got == expected


def test_good_practice_variant_raises_no_finding_through_the_server(tmp_path: Path) -> None:
    with embedded(make_settings(tmp_path)) as url:
        post_scenario(url, KEYS, "child-k-good-practice")
        response = httpx.get(f"{url}/findings", headers=auth("reviewer"))
    assert response.status_code == 200
    assert response.json()["findings"] == []


def test_breach_finding_opens_when_its_deadline_passes_with_no_further_event(
    tmp_path: Path,
) -> None:
    """Given a breach recorded by EDT whose one-hour deadline to tell the police
    falls two seconds from now, when nothing more is posted, then the finding
    opens by the clock within a second of the deadline."""
    due = datetime.now(UTC) + timedelta(seconds=2)
    breach = make_envelope(
        "agreement.breached",
        case_id="case-clock",
        occurred_at=(due - timedelta(hours=1)).isoformat(),
        agreement_id="agr-1",
        summary="Father back at the home with the children",
    )
    with embedded(make_settings(tmp_path)) as url:
        posted = httpx.post(f"{url}/edt/events", json=breach, headers=auth("edt"))
        assert posted.status_code == 201, posted.text
        assert findings(url, "case-clock") == []
        wait_for(
            lambda: any(f["rule"] == "not-shared" for f in findings(url, "case-clock")),
            timeout=(due - datetime.now(UTC)).total_seconds() + 1.0,
            what="the not-shared finding to open by the clock",
        )
        opened = datetime.now(UTC)
        (finding,) = findings(url, "case-clock")
    assert finding["status"] == "open"
    assert finding["to_agency"] == "police"
    assert opened >= due - timedelta(milliseconds=50)
    assert opened - due < timedelta(seconds=1)


def test_picture_as_of_before_a_trigger_has_no_finding_for_it(tmp_path: Path) -> None:
    with embedded(make_settings(tmp_path)) as url:
        post_scenario(url, KEYS, "child-k")
        breach_id = ids("child-k")["ck-16-breach"]
        before = findings(url, "child-k", as_of="2017-01-01T11:59:00+00:00")
        after = findings(url, "child-k", as_of="2017-01-01T13:01:00+00:00")
    assert not any(breach_id in f["trigger_event_ids"] for f in before)
    assert any(breach_id in f["trigger_event_ids"] and f["to_agency"] == "police" for f in after)


def test_unknown_case_is_a_problem_404_and_readers_need_a_reader_key(tmp_path: Path) -> None:
    with embedded(make_settings(tmp_path)) as url:
        missing = httpx.get(f"{url}/cases/nope/picture", headers=auth("reviewer"))
        as_agency = httpx.get(f"{url}/cases/nope/picture", headers=auth("police"))
        anonymous = httpx.get(f"{url}/findings")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert as_agency.status_code == 403
    assert anonymous.status_code == 401


def test_metrics_show_ingest_open_findings_and_no_lag_once_caught_up(tmp_path: Path) -> None:
    with embedded(make_settings(tmp_path)) as url:
        post_scenario(url, KEYS, "child-k")
        wait_for(
            lambda: len(findings(url, "child-k")) == len(CHILD_K_EXPECTED),
            timeout=5,
            what="the demo's findings",
        )
        text = httpx.get(f"{url}/metrics").text
    assert 'safeguard_events_ingested_total{agency="police",type="disclosure.made"} 1.0' in text
    open_high = next(
        line
        for line in text.splitlines()
        if line.startswith('safeguard_open_findings{severity="high"}')
    )
    assert float(open_high.split()[-1]) > 0
    assert 'safeguard_subscription_lag_events{consumer="projection"} 0.0' in text
