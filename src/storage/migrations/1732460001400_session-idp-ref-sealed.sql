-- Up Migration
-- What the IdP's logout needs (an OIDC ID token, a SAML NameID and SessionIndex) names the person
-- and, for OIDC, is a bearer credential at the IdP's end-session endpoint: it is kept sealed like
-- the login's attributes (AES-256-GCM under a key derived from the runtime's draft key, bound to
-- the session's account; src/accounts/sealed.ts), never as readable JSON. Sessions live minutes:
-- one that is live during the upgrade loses only the hint for the IdP's logout (logout here works).
ALTER TABLE account_sessions ADD COLUMN idp_ref_enc bytea;
ALTER TABLE account_sessions DROP COLUMN idp_ref;

-- Down Migration
ALTER TABLE account_sessions ADD COLUMN idp_ref jsonb;
ALTER TABLE account_sessions DROP COLUMN idp_ref_enc;
