-- Contacts a person added at run time (`paved oncall contact add`, the API,
-- their page), paged beside those of their catalog entry. The contact
-- itself is sealed by the application (its webhook URL is a secret); the
-- store keeps only the sealed value and a redacted form to show.
CREATE TABLE person_contacts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The User (a reference's key, `user:default/ana`).
    person      TEXT NOT NULL,
    -- email, slack or webhook.
    kind        TEXT NOT NULL,
    -- What may be shown: the address, or scheme, host and port of a URL.
    shown       TEXT NOT NULL,
    sealed      TEXT NOT NULL,
    -- Who added it, as the audit log names them.
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE INDEX person_contacts_by_person ON person_contacts (person, id);
