-- Alert incidents (see store/incidents.rs): one open incident per key at a time, told once when
-- it opens and once when it clears.
CREATE TABLE alert_incidents (
    id                   INTEGER PRIMARY KEY,
    key                  TEXT NOT NULL,
    shop_id              TEXT NOT NULL,
    message              TEXT NOT NULL,
    opened_at            TEXT NOT NULL,
    notified_at          TEXT,
    closed_at            TEXT,
    recovery_notified_at TEXT
);
CREATE UNIQUE INDEX alert_incidents_open ON alert_incidents (key) WHERE closed_at IS NULL;
