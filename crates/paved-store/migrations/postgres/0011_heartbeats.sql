-- Heartbeats (kind: Heartbeat): when each was last beaten, and the incident
-- a missed one opened, until the next beat resolves it. A Heartbeat is
-- watched from when a server first sees it in the catalog (its first
-- `last_beat_at`, with no beats yet).
CREATE TABLE heartbeats (
    name            text        PRIMARY KEY,
    last_beat_at    timestamptz NOT NULL,
    beats           bigint      NOT NULL,
    missed_at       timestamptz,
    incident_key    text
);
