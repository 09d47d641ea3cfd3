-- Alerts told per channel (see store/incidents.rs): an incident's opening and its recovery are
-- told once on each channel (webhook, e-mail), so a channel that fails never makes another one
-- tell twice. What the webhook told before this table is carried over.
CREATE TABLE alert_deliveries (
    incident_id BIGINT  NOT NULL,
    channel     TEXT    NOT NULL,
    recovered   INTEGER NOT NULL,
    told_at     TEXT    NOT NULL,
    PRIMARY KEY (incident_id, channel, recovered)
);
INSERT INTO alert_deliveries (incident_id, channel, recovered, told_at)
    SELECT id, 'webhook', 0, notified_at FROM alert_incidents
    WHERE notified_at IS NOT NULL AND notified_at <> 'never';
INSERT INTO alert_deliveries (incident_id, channel, recovered, told_at)
    SELECT id, 'webhook', 1, recovery_notified_at FROM alert_incidents
    WHERE recovery_notified_at IS NOT NULL AND recovery_notified_at <> 'never';

-- A mall's pace shared by every process on one database (see store/paces.rs): the requests
-- sent per credential, in the database's own milliseconds.
CREATE TABLE pace_requests (
    key   TEXT    NOT NULL,
    at_ms BIGINT  NOT NULL
);
CREATE INDEX pace_requests_key ON pace_requests (key, at_ms);
