-- Up Migration
CREATE TABLE drafts (
  id uuid PRIMARY KEY,
  tenant text NOT NULL,
  service_id text NOT NULL,
  service_version text NOT NULL,
  -- AES-256-GCM of the answers (JSON): the database never holds a draft's plaintext
  data_enc bytea NOT NULL,
  current_step text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX drafts_expires_at ON drafts (expires_at);

CREATE TABLE submissions (
  id uuid PRIMARY KEY,
  reference text NOT NULL UNIQUE,
  tenant text NOT NULL,
  service_id text NOT NULL,
  service_version text NOT NULL,
  leika_key text NOT NULL,
  region text NOT NULL,
  authority_id text NOT NULL,
  authority_name text NOT NULL,
  status text NOT NULL CHECK (status IN ('submitted', 'delivered', 'failed', 'accepted', 'rejected')),
  -- JWE for the authority's key: only the authority can read the application
  payload_jwe text NOT NULL,
  payload_media_type text NOT NULL,
  payload_sha512 text NOT NULL,
  schema_uri text NOT NULL,
  fee_cents integer NOT NULL,
  last_error text,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX submissions_status ON submissions (status);

-- The transactional outbox: written with the submission, the source of truth for delivery
CREATE TABLE outbox (
  submission_id uuid PRIMARY KEY REFERENCES submissions (id),
  attempts integer NOT NULL DEFAULT 0,
  available_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  enqueued_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_available ON outbox (available_at);

CREATE TABLE delivery_attempts (
  id bigserial PRIMARY KEY,
  submission_id uuid NOT NULL REFERENCES submissions (id),
  attempt integer NOT NULL,
  transport text NOT NULL,
  address text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  error text,
  receipt jsonb
);
CREATE INDEX delivery_attempts_submission ON delivery_attempts (submission_id);

-- Down Migration
DROP TABLE delivery_attempts;
DROP TABLE outbox;
DROP TABLE submissions;
DROP TABLE drafts;
