-- One row that readiness checks (`/readyz`) write, so that "ready" means the
-- database takes writes, not only that it answers a read: a full disk or a
-- read-only file fails this write as it fails a delivery.
CREATE TABLE write_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at TEXT NOT NULL
);
