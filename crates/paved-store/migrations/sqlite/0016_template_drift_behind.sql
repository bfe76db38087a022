-- What a service's kept drift says without reading its files again: whether
-- the template has something it has not taken, its repository as it may be
-- shown, and why it could not be compared.
ALTER TABLE template_drift ADD COLUMN behind INTEGER NOT NULL DEFAULT 0 CHECK (behind IN (0, 1));
ALTER TABLE template_drift ADD COLUMN repository TEXT NOT NULL DEFAULT '';
ALTER TABLE template_drift ADD COLUMN problem TEXT;
