-- Exactly once across processes and crashes.
--
-- job_leases: one row per (shop, job) run in progress, held by one process until lease_until;
-- renewed by a heartbeat while the job runs, taken over by another process once it expires.
CREATE TABLE job_leases (
    shop_id     TEXT    NOT NULL,
    job         TEXT    NOT NULL,
    holder      TEXT    NOT NULL,
    run_id      INTEGER NOT NULL,
    lease_until TEXT    NOT NULL,
    PRIMARY KEY (shop_id, job)
);

-- job_runs: every run, with its holder, end, outcome and counts.
CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY,
    shop_id     TEXT    NOT NULL,
    job         TEXT    NOT NULL,
    holder      TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    ended_at    TEXT,
    outcome     TEXT,            -- ok | partial | failed (null while running or after a crash)
    summary     TEXT,
    error       TEXT
);
CREATE INDEX job_runs_shop ON job_runs (shop_id, job, id);

-- The push outbox: a push is a shipment_pushes row claimed (outcome 'sending', holder, lease)
-- and committed before the request goes out, then settled with its outcome: ok, rejected (the
-- mall said no in a well-formed answer), failed (not sent: rate limit, host refusal) or unknown
-- (sent, answer lost: resolved by the next export). data_key is the shipment's data (every
-- delivery's parcels and the date), so a change of data is a new version to send.
ALTER TABLE shipment_pushes ADD COLUMN holder TEXT;
ALTER TABLE shipment_pushes ADD COLUMN lease_until TEXT;
ALTER TABLE shipment_pushes ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
ALTER TABLE shipment_pushes ADD COLUMN data_key TEXT;
