-- The catalog (entities and the relations derived from their own specs) and
-- the append-only raw event log. Instants are RFC 3339 text in UTC, to the
-- microsecond; booleans are 0/1.

CREATE TABLE entities (
    -- EntityRef::key(): the reference lower-cased, the entity's identity.
    key           TEXT    NOT NULL PRIMARY KEY,
    -- The reference as displayed, e.g. component:default/Checkout.
    ref           TEXT    NOT NULL,
    -- Lower-case kind and namespace, the name as written (from the reference).
    kind          TEXT    NOT NULL,
    namespace     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    title         TEXT,
    description   TEXT,
    owner_ref     TEXT,
    owner_key     TEXT,
    spec_type     TEXT,
    lifecycle     TEXT,
    -- The location the entity was imported from.
    location      TEXT    NOT NULL,
    source_file   TEXT    NOT NULL,
    source_line   INTEGER NOT NULL,
    source_column INTEGER NOT NULL,
    -- Name, title and description lower-cased by paved, for text search.
    search_text   TEXT    NOT NULL,
    -- The CatalogEntity as JSON, exactly as serialised.
    entity        TEXT    NOT NULL,
    -- Hex SHA-256 of `entity`.
    content_hash  TEXT    NOT NULL,
    orphan        INTEGER NOT NULL DEFAULT 0 CHECK (orphan IN (0, 1)),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE INDEX entities_by_order ON entities (kind, namespace, name, key);
CREATE INDEX entities_by_namespace ON entities (namespace, kind, name);
CREATE INDEX entities_by_owner ON entities (owner_key);
CREATE INDEX entities_by_location ON entities (location);
CREATE INDEX entities_orphans ON entities (orphan) WHERE orphan = 1;

-- Relations derived from each entity's own spec, replaced with the entity.
-- Targets need not be stored entities.
CREATE TABLE relations (
    source_key TEXT NOT NULL REFERENCES entities (key) ON DELETE CASCADE,
    type       TEXT NOT NULL,
    target_ref TEXT NOT NULL,
    target_key TEXT NOT NULL,
    PRIMARY KEY (source_key, type, target_key)
);

CREATE INDEX relations_by_target ON relations (target_key);

-- Every payload received or imported, byte for byte. Append-only.
CREATE TABLE raw_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT    NOT NULL,
    event_type  TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    received_at TEXT    NOT NULL,
    body        BLOB    NOT NULL,
    UNIQUE (source, delivery_id)
);

CREATE INDEX raw_events_by_source ON raw_events (source, id);

CREATE TRIGGER raw_events_no_update BEFORE UPDATE ON raw_events
BEGIN
    SELECT RAISE(ABORT, 'raw_events is append-only');
END;

CREATE TRIGGER raw_events_no_delete BEFORE DELETE ON raw_events
BEGIN
    SELECT RAISE(ABORT, 'raw_events is append-only');
END;
