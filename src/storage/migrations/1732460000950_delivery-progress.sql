-- Up Migration
-- The confirmed steps of a multi-step send (FIT-Connect: the created submission, each uploaded
-- attachment, the metadata sent), recorded as each step is answered, so the next attempt, in any
-- worker, continues where the last one stopped instead of repeating every step. Keyed by the
-- submission (= message id); cleared when the submission is delivered.
CREATE TABLE delivery_progress (
  submission_id uuid NOT NULL,
  step text NOT NULL,
  value text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (submission_id, step)
);

-- What a transport may share between workers for a while (a destination's checked encryption
-- key): never secrets, only what the remote side publishes anyway.
CREATE TABLE transport_cache (
  key text PRIMARY KEY,
  value text NOT NULL,
  expires_at timestamptz NOT NULL
);

-- The circuit breaker judges a failure rate over a sliding window: outcomes per authority in
-- buckets of a second, the old ones deleted as new ones come.
CREATE TABLE authority_outcomes (
  authority_id text NOT NULL,
  bucket timestamptz NOT NULL,
  ok integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  PRIMARY KEY (authority_id, bucket)
);

-- Down Migration
DROP TABLE authority_outcomes;
DROP TABLE transport_cache;
DROP TABLE delivery_progress;
