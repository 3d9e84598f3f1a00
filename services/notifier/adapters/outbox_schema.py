"""Outbox tables. Times are UTC epoch seconds (REAL) so due-time scans use an index.

``findings`` holds the latest state of every finding seen, so a duty manager can
resolve one that matched no subscription.
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    finding_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    transition TEXT NOT NULL,
    subscription TEXT NOT NULL,
    finding TEXT NOT NULL,
    created_at REAL NOT NULL,
    delivery TEXT NOT NULL,
    next_attempt_at REAL,
    escalate_at REAL,
    escalation_of TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_status_code INTEGER,
    delivered_at REAL,
    acknowledged_at REAL,
    acknowledged_by TEXT,
    escalated_at REAL,
    escalated_alert_id TEXT
);
CREATE INDEX IF NOT EXISTS alerts_due ON alerts(next_attempt_at) WHERE delivery = 'pending';
CREATE INDEX IF NOT EXISTS alerts_escalate ON alerts(escalate_at)
    WHERE escalate_at IS NOT NULL AND acknowledged_at IS NULL AND escalated_at IS NULL;
CREATE INDEX IF NOT EXISTS alerts_finding ON alerts(finding_id);
CREATE INDEX IF NOT EXISTS alerts_created ON alerts(created_at);
CREATE TABLE IF NOT EXISTS findings (
    finding_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    status TEXT NOT NULL,
    finding TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    agency TEXT NOT NULL,
    envelope TEXT NOT NULL,
    appended INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS audit_pending ON audit_outbox(seq) WHERE appended = 0;
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS disabled_subscriptions (
    name TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    disabled_at REAL NOT NULL
);
"""

CONCERNS_WHERE = (
    "(json_extract(finding, '$.to_agency') = ?1 OR EXISTS"
    " (SELECT 1 FROM json_each(finding, '$.concerns_agencies') WHERE value = ?1))"
)
"""``findings.concerns`` as SQL over an alert's finding JSON (a test holds the two to
the same answers), so a duty manager's page is filtered where the rows are."""

STATUS_WHERE = {
    # Mirrors ``Alert.status``: suppressed, then failed (an operator must see it),
    # then acknowledged, escalated, and the delivery state.
    "suppressed": "delivery = 'suppressed'",
    "failed": "delivery = 'failed'",
    "acknowledged": "delivery IN ('pending', 'delivered') AND acknowledged_at IS NOT NULL",
    "escalated": "delivery IN ('pending', 'delivered') AND acknowledged_at IS NULL"
    " AND escalated_at IS NOT NULL",
    "pending": "delivery = 'pending' AND acknowledged_at IS NULL AND escalated_at IS NULL",
    "delivered": "delivery = 'delivered' AND acknowledged_at IS NULL AND escalated_at IS NULL",
}
