-- The catalog (entities and the relations derived from their own specs) and
-- the append-only raw event log. Text that is sorted or compared uses the "C"
-- collation so that PostgreSQL orders exactly as SQLite does (by bytes),
-- whatever the database's locale.

CREATE TABLE entities (
    -- EntityRef::key(): the reference lower-cased, the entity's identity.
    key           text COLLATE "C" NOT NULL PRIMARY KEY,
    -- The reference as displayed, e.g. component:default/Checkout.
    ref           text        NOT NULL,
    -- Lower-case kind and namespace, the name as written (from the reference).
    kind          text COLLATE "C" NOT NULL,
    namespace     text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL,
    title         text,
    description   text,
    owner_ref     text,
    owner_key     text COLLATE "C",
    spec_type     text,
    lifecycle     text,
    -- The location the entity was imported from.
    location      text COLLATE "C" NOT NULL,
    source_file   text        NOT NULL,
    source_line   integer     NOT NULL,
    source_column integer     NOT NULL,
    -- Name, title and description lower-cased by paved, for text search.
    search_text   text        NOT NULL,
    -- The CatalogEntity as JSON. `json`, not `jsonb`: jsonb reorders object
    -- keys, and the descriptor must come back in the order it was written
    -- (as it does from SQLite). Cast to jsonb in a query or an expression
    -- index when a query needs it.
    entity        json        NOT NULL,
    -- Hex SHA-256 of `entity` as paved serialised it.
    content_hash  text        NOT NULL,
    orphan        boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE INDEX entities_by_order ON entities (kind, namespace, name, key);
CREATE INDEX entities_by_namespace ON entities (namespace, kind, name);
CREATE INDEX entities_by_owner ON entities (owner_key);
CREATE INDEX entities_by_location ON entities (location);
CREATE INDEX entities_orphans ON entities (orphan) WHERE orphan;

-- Relations derived from each entity's own spec, replaced with the entity.
-- Targets need not be stored entities.
CREATE TABLE relations (
    source_key text COLLATE "C" NOT NULL REFERENCES entities (key) ON DELETE CASCADE,
    type       text NOT NULL,
    target_ref text NOT NULL,
    target_key text COLLATE "C" NOT NULL,
    PRIMARY KEY (source_key, type, target_key)
);

CREATE INDEX relations_by_target ON relations (target_key);

-- Every payload received or imported, byte for byte. Append-only.
CREATE TABLE raw_events (
    id          bigserial   PRIMARY KEY,
    source      text        NOT NULL,
    event_type  text        NOT NULL,
    delivery_id text        NOT NULL,
    received_at timestamptz NOT NULL,
    body        bytea       NOT NULL,
    UNIQUE (source, delivery_id)
);

CREATE INDEX raw_events_by_source ON raw_events (source, id);

CREATE FUNCTION raw_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'raw_events is append-only';
END;
$$;

CREATE TRIGGER raw_events_no_update_or_delete BEFORE UPDATE OR DELETE ON raw_events
    FOR EACH ROW EXECUTE FUNCTION raw_events_append_only();
