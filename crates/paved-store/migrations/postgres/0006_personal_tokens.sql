-- Personal tokens: a token may stand for one catalog User, and any token
-- may expire.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_scope_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_scope_check CHECK (scope IN ('admin', 'team', 'user'));
-- The User's reference, for scope `user`.
ALTER TABLE api_tokens ADD COLUMN person text;
-- After this the token authenticates nothing; NULL: it does not expire.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
