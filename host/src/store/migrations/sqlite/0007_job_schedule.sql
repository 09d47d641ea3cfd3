-- When each (shop, job) is next due, shared by every `serve` process on the database: a process
-- runs a job only after moving its next_due on (a claim only one process wins).
CREATE TABLE job_schedule (
    shop_id  TEXT NOT NULL,
    job      TEXT NOT NULL,
    next_due TEXT NOT NULL,
    PRIMARY KEY (shop_id, job)
);
CREATE INDEX job_schedule_due ON job_schedule (next_due);
