-- Up Migration
-- Applicants' login sessions (src/accounts/sessions.ts): server side, bound to one tenant and one
-- service, short-lived. A row is first a login in progress (pending: PKCE verifier, state, nonce),
-- then, under a new id (rotated on login), the logged-in session. The account is kept only as the
-- SHA-256 of tenant and subject; the person's attributes are kept only sealed, from the login
-- until the next request puts them into the encrypted draft as prefilled answers. idp_ref is what the IdP's logout needs (an ID token).
CREATE TABLE account_sessions (
  id_sha256 bytea PRIMARY KEY CHECK (octet_length(id_sha256) = 32),
  tenant text NOT NULL,
  service_id text NOT NULL,
  account text,
  trust_level text CHECK (trust_level IN ('low', 'substantial', 'high')),
  pending jsonb,
  idp_ref jsonb,
  -- The account's attributes from the login until the next request puts them into the draft (sealed, src/accounts/sealed.ts).
  handover_enc bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX account_sessions_expiry ON account_sessions (expires_at);

-- A draft started or taken over after a login belongs to that account (its key, as above); which
-- answers came from the account, and at which trust level, travels with it to the submission.
ALTER TABLE drafts ADD COLUMN account text;
ALTER TABLE drafts ADD COLUMN account_meta jsonb;

-- Down Migration
ALTER TABLE drafts DROP COLUMN account_meta;
ALTER TABLE drafts DROP COLUMN account;
DROP TABLE account_sessions;
