-- Paging (DESIGN §7 On call): an escalation per incident pavedroad pages
-- for, whose next step is due at a time (a timer that survives restarts),
-- and the notifications each step sends, one row per person and contact
-- with an idempotency key, so that a step fired twice (a replica that died
-- after firing it) sends nothing twice. Leases let one replica at a time
-- work on an escalation or a notification.
CREATE TABLE escalations (
    id              bigserial   PRIMARY KEY,
    -- The incident's record key; one escalation per incident.
    incident_key    text NOT NULL UNIQUE,
    -- The Component paged for (NULL: the alert named no known service).
    service         text,
    -- The EscalationPolicy, and its steps as JSON when the incident opened
    -- (a catalog change does not alter an escalation in flight).
    policy          text NOT NULL,
    plan            text NOT NULL,
    state           text NOT NULL CHECK (state IN ('active', 'acknowledged', 'resolved', 'exhausted')),
    -- The next step to fire (from 0), in which round of the repeats.
    step            bigint NOT NULL,
    round           bigint NOT NULL,
    due_at          timestamptz NOT NULL,
    lease_owner     text,
    lease_until     timestamptz,
    stopped_by      text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX escalations_due ON escalations (state, due_at);

CREATE TABLE notifications (
    id              bigserial   PRIMARY KEY,
    escalation_id   bigint  NOT NULL REFERENCES escalations (id),
    incident_key    text NOT NULL,
    round           bigint NOT NULL,
    step            bigint NOT NULL,
    -- The User paged, and how: `email`, `slack` or `webhook`, which of the
    -- person's contacts of that kind (from 0), and what may be shown of it
    -- (an address, a URL's host: never a webhook's secret path).
    person          text NOT NULL,
    channel         text NOT NULL,
    contact_index   bigint NOT NULL,
    shown           text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    state           text NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts        bigint NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_owner     text,
    lease_until     timestamptz,
    last_error      text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX notifications_by_incident ON notifications (incident_key, id);

-- Keys a server makes itself when the configuration gives none (the key
-- that signs pages' links), shared by every replica of the database.
CREATE TABLE server_keys (
    name            text        PRIMARY KEY,
    value           text        NOT NULL,
    created_at      timestamptz NOT NULL
);
