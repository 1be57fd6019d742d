-- Up Migration
-- Long operator actions (redelivering every dead letter) run as jobs: the API answers at once with
-- the job's id, a worker or the embedded process works through it in batches, and anyone can read
-- its progress. A runner holds a job by a lease; when it dies the lease runs out and another
-- runner continues where the work stands (the batches are idempotent).
CREATE TABLE operator_jobs (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('redeliver-failed')),
  params jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  total integer,
  done integer NOT NULL DEFAULT 0,
  error text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  locked_until timestamptz,
  lease uuid
);
CREATE INDEX operator_jobs_open ON operator_jobs (created_at) WHERE status IN ('queued', 'running');

-- Down Migration
DROP TABLE operator_jobs;
