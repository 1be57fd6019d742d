-- Up Migration
-- SAML assertions already used for a login, remembered until they expire, so that a captured
-- assertion cannot be posted again: at any API replica, since the table is shared. Only the
-- assertion's ID (random, chosen by the IdP) and the tenant are kept, no personal data.
CREATE TABLE saml_assertions_used (
  tenant_id text NOT NULL,
  assertion_id text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, assertion_id)
);
CREATE INDEX saml_assertions_used_expiry ON saml_assertions_used (expires_at);

-- Down Migration
DROP TABLE saml_assertions_used;
