-- What a service's kept drift says without reading its files again: whether
-- the template has something it has not taken, its repository as it may be
-- shown, and why it could not be compared.
ALTER TABLE template_drift ADD COLUMN behind boolean NOT NULL DEFAULT false;
ALTER TABLE template_drift ADD COLUMN repository text NOT NULL DEFAULT '';
ALTER TABLE template_drift ADD COLUMN problem text;
