"""Who hears about a finding: filters, suppression of history, escalation ids."""

from datetime import UTC, datetime, timedelta

from services.notifier.domain.alerts import alert_id_for
from services.notifier.domain.body import alert_body
from services.notifier.domain.routing import escalation_of, matches, plan_alerts
from tests.support.notifier_kit import make_finding, make_subscription

NOW = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
URL = "https://pager.example.org/hook"


def test_omitted_filters_match_every_finding() -> None:
    assert matches(make_subscription("all", URL), make_finding())


def test_each_given_filter_must_pass() -> None:
    f = make_finding(concerns_agencies=("police",), severity="medium", rule="pp-ended")
    assert not matches(make_subscription("s", URL, agencies=["edt"]), f)
    assert matches(make_subscription("s", URL, agencies=["edt", "police"]), f)
    assert not matches(make_subscription("s", URL, rules=["not-shared"]), f)
    assert not matches(make_subscription("s", URL, min_severity="high"), f)
    assert matches(make_subscription("s", URL, min_severity="medium"), f)
    assert not matches(make_subscription("s", URL, case_ids=["case-9"]), f)
    assert not matches(make_subscription("s", URL, rules=[]), f)


def test_one_alert_per_transition_and_subscription_with_a_stable_id() -> None:
    subs = [make_subscription("a", URL), make_subscription("b", URL)]
    opened, resolved = make_finding(), make_finding(status="resolved")
    alerts = plan_alerts([opened, resolved], subs, NOW)
    assert len({a.alert_id for a in alerts}) == 4
    assert alerts[0].alert_id == alert_id_for(opened.finding_id, "open", "a")
    assert plan_alerts([opened], subs, NOW + timedelta(days=3))[0].alert_id == alerts[0].alert_id


def test_historical_findings_are_suppressed_and_never_escalate() -> None:
    sub = make_subscription("a", URL, escalate_to="b", escalate_after="15m")
    [alert] = plan_alerts([make_finding(historical=True)], [sub], NOW)
    assert alert.suppressed and alert.next_attempt_at is None and alert.escalate_at is None


def test_only_open_findings_escalate_after_the_delay() -> None:
    sub = make_subscription("a", URL, escalate_to="b", escalate_after="15m")
    [opened, met] = plan_alerts([make_finding(), make_finding(status="met_late")], [sub], NOW)
    assert opened.escalate_at == NOW + timedelta(minutes=15) and met.escalate_at is None


def test_escalation_is_a_new_alert_to_the_contact() -> None:
    [alert] = plan_alerts([make_finding()], [make_subscription("a", URL)], NOW)
    escalation = escalation_of(alert, make_subscription("b", URL), NOW)
    assert escalation.subscription == "b" and escalation.escalation_of == alert.alert_id
    assert escalation.alert_id != alert.alert_id
    assert alert_body(escalation, 1, "https://x")["type"] == "finding.escalated"


def test_the_body_links_the_case_picture_and_carries_the_finding() -> None:
    [alert] = plan_alerts([make_finding(case_id="case 7")], [make_subscription("a", URL)], NOW)
    body = alert_body(alert, 3, "https://safeguard.example.org/")
    assert body["case_picture_url"] == "https://safeguard.example.org/cases/case%207/picture"
    assert body["attempt"] == 3 and body["finding"]["rule"] == "not-shared"
    assert body["type"] == "finding.opened" and body["finding"]["due_at"]


def test_the_body_links_the_console_case_page_and_the_alert_to_acknowledge() -> None:
    [alert] = plan_alerts([make_finding(case_id="case 7")], [make_subscription("a", URL)], NOW)

    body = alert_body(alert, 1, "https://safeguard.example.org/")

    assert body["console_url"] == "https://safeguard.example.org/console/cases/case%207"
    assert body["ack_url"] == f"https://safeguard.example.org/console/alerts/{alert.alert_id}"
    assert body["case_picture_url"] == "https://safeguard.example.org/cases/case%207/picture"
