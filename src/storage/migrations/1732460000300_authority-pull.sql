-- Up Migration

-- Fixed at submit from the directory entry: 'push' submissions go through the outbox to a transport,
-- 'pull' submissions wait until their authority fetches them over the authority pull API. Fixed, so
-- that a later directory change neither strands a waiting submission nor sends it twice.
ALTER TABLE submissions ADD COLUMN delivery_mode text NOT NULL DEFAULT 'push' CHECK (delivery_mode IN ('push', 'pull'));

-- What an authority's list query reads: its undecided pull submissions, oldest first.
CREATE INDEX submissions_pull_pending ON submissions (authority_id, submitted_at, id)
  WHERE delivery_mode = 'pull' AND status IN ('submitted', 'delivered');

-- The authority's decision on a submission; one per submission, so a second, different one is a conflict.
CREATE TABLE submission_decisions (
  submission_id uuid PRIMARY KEY REFERENCES submissions (id),
  decision text NOT NULL CHECK (decision IN ('accepted', 'rejected')),
  -- RFC 7807 problems of a rejection, as FIT-Connect's reject event lists them; meant for the operator
  problems jsonb NOT NULL DEFAULT '[]',
  client_id text NOT NULL,
  -- the authority's signed event token (JWS) when it sent one: proof of who decided what
  evidence text,
  decided_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE submission_decisions;
DROP INDEX submissions_pull_pending;
ALTER TABLE submissions DROP COLUMN delivery_mode;
