-- Paging (DESIGN §7 On call): an escalation per incident pavedroad pages
-- for, whose next step is due at a time (a timer that survives restarts),
-- and the notifications each step sends, one row per person and contact
-- with an idempotency key, so that a step fired twice (a replica that died
-- after firing it) sends nothing twice. Leases let one replica at a time
-- work on an escalation or a notification.
CREATE TABLE escalations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The incident's record key; one escalation per incident.
    incident_key    TEXT    NOT NULL UNIQUE,
    -- The Component paged for (NULL: the alert named no known service).
    service         TEXT,
    -- The EscalationPolicy, and its steps as JSON when the incident opened
    -- (a catalog change does not alter an escalation in flight).
    policy          TEXT    NOT NULL,
    plan            TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('active', 'acknowledged', 'resolved', 'exhausted')),
    -- The next step to fire (from 0), in which round of the repeats.
    step            INTEGER NOT NULL,
    round           INTEGER NOT NULL,
    due_at          TEXT    NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    stopped_by      TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX escalations_due ON escalations (state, due_at);

CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    escalation_id   INTEGER NOT NULL REFERENCES escalations (id),
    incident_key    TEXT    NOT NULL,
    round           INTEGER NOT NULL,
    step            INTEGER NOT NULL,
    -- The User paged, and how: `email`, `slack` or `webhook`, which of the
    -- person's contacts of that kind (from 0), and what may be shown of it
    -- (an address, a URL's host: never a webhook's secret path).
    person          TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    contact_index   INTEGER NOT NULL,
    shown           TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL UNIQUE,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT    NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    last_error      TEXT,
    sent_at         TEXT,
    created_at      TEXT    NOT NULL
);
CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX notifications_by_incident ON notifications (incident_key, id);

-- Keys a server makes itself when the configuration gives none (the key
-- that signs pages' links), shared by every replica of the database.
CREATE TABLE server_keys (
    name            TEXT    PRIMARY KEY,
    value           TEXT    NOT NULL,
    created_at      TEXT    NOT NULL
);
