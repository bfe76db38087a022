-- The audit trail is read by service and says what was decided: the
-- service an entry acts on (a Component reference's key, when there is
-- one) and the decision (`allowed` or `refused`; the reason in `detail`).
-- Entries written before stay without them.
ALTER TABLE audit_log ADD COLUMN service TEXT;
ALTER TABLE audit_log ADD COLUMN decision TEXT;

CREATE INDEX audit_log_by_service ON audit_log (service, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
