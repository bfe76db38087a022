-- One row that readiness checks (`/readyz`) write, so that "ready" means the
-- database takes writes, not only that it answers a read.
CREATE TABLE write_probe (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    probed_at TIMESTAMPTZ NOT NULL
);
