-- Overrides of on-call Schedules made at run time (`paved oncall override`,
-- the API, the team page): for these hours, this person is on call instead
-- of the rotation. Deleting one removes its row; the audit log keeps what it
-- was. (0009 is another change's.)
CREATE TABLE oncall_overrides (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The Schedule (its reference's key, `schedule:default/checkout-oncall`)
    -- and the User who takes the hours (a reference).
    schedule    TEXT    NOT NULL,
    person      TEXT    NOT NULL,
    starts_at   TEXT    NOT NULL,
    ends_at     TEXT    NOT NULL,
    reason      TEXT,
    -- Who made it, as the audit log names them (a token, a session, cli).
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    CHECK (ends_at > starts_at)
);

CREATE INDEX oncall_overrides_by_schedule ON oncall_overrides (schedule, ends_at);
