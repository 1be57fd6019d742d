-- Up Migration

-- An attempt whose worker had lost its lease (another worker took the entry over, or another attempt
-- already delivered it) is recorded as 'superseded': it is neither a failure nor a second delivery.
ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_outcome_check;
ALTER TABLE delivery_attempts ADD CONSTRAINT delivery_attempts_outcome_check CHECK (outcome IN ('delivered', 'retry', 'failed', 'superseded'));
-- Before this version a late job could record a second 'delivered' attempt (transport 'none'); the
-- first one stays the delivery, later ones become what they were.
UPDATE delivery_attempts SET outcome = 'superseded'
 WHERE outcome = 'delivered' AND id NOT IN (SELECT min(id) FROM delivery_attempts WHERE outcome = 'delivered' GROUP BY submission_id);
-- At most one delivered attempt per submission: recording it and settling the outbox are one transaction.
CREATE UNIQUE INDEX delivery_attempts_one_delivered ON delivery_attempts (submission_id) WHERE outcome = 'delivered';

-- Per-authority concurrency counts the running leases; few rows carry one.
CREATE INDEX outbox_leased ON outbox (locked_until) WHERE locked_until IS NOT NULL;

-- A delivery handed over to a transport whose authority decides later (FIT-Connect: accept or reject
-- event). The attempt has ended; a poller looks the decision up until it is there or too old.
CREATE TABLE delivery_followups (
  submission_id uuid PRIMARY KEY REFERENCES submissions (id),
  transport text NOT NULL,
  -- what the transport needs to find the decision again (e.g. FIT-Connect submission and case id)
  handle jsonb NOT NULL,
  checks integer NOT NULL DEFAULT 0,
  next_check_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_followups_due ON delivery_followups (next_check_at);

-- The circuit breaker of each authority, shared by every worker process: after a run of failed
-- attempts its deliveries are deferred until open_until instead of holding worker slots.
CREATE TABLE authority_breakers (
  authority_id text PRIMARY KEY,
  consecutive_failures integer NOT NULL DEFAULT 0,
  open_until timestamptz,
  opened_count integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE authority_breakers;
DROP TABLE delivery_followups;
DROP INDEX outbox_leased;
DROP INDEX delivery_attempts_one_delivered;
UPDATE delivery_attempts SET outcome = 'failed' WHERE outcome = 'superseded';
ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_outcome_check;
ALTER TABLE delivery_attempts ADD CONSTRAINT delivery_attempts_outcome_check CHECK (outcome IN ('delivered', 'retry', 'failed'));
