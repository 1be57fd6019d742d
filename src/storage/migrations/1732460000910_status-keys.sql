-- Up Migration
-- The applicant's status link carries a random secret of its own (32 bytes, base64url), not the
-- submission id: the id travels in clear as every transport's message id, job id and idempotency
-- key and is listed by the operator APIs. Only the secret's SHA-256 is stored, in a table of its
-- own so that no query on submissions (delivery, operator APIs) ever carries it along.
CREATE TABLE submission_status_keys (
  submission_id uuid PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
  key_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(key_sha256) = 32)
);

-- Down Migration
DROP TABLE submission_status_keys;
