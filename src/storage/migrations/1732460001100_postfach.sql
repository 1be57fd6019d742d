-- Up Migration
-- The return channel (docs/postfach.md): what an authority answered on a submission, for the
-- applicant's Postfach. The answer's text and files are sealed (AES-256-GCM under the draft keys,
-- bound to the answer id) like the applicant's copy; the id is the authority's own, so the same
-- answer sent twice is stored once (content_sha256 tells a repeat from a different answer).
CREATE TABLE submission_answers (
  id uuid PRIMARY KEY,
  submission_id uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
  authority_id text NOT NULL,
  channel text NOT NULL,
  status text CHECK (status IN ('INITIATED', 'SUBMITTED', 'RECEIVED', 'PROCESSING', 'ACTION_REQUIRED', 'COMPLETED')),
  content_sha256 bytea NOT NULL CHECK (octet_length(content_sha256) = 32),
  sealed bytea,
  attachment_count integer NOT NULL DEFAULT 0,
  signed boolean NOT NULL DEFAULT false,
  received_at timestamptz NOT NULL DEFAULT now(),
  notified_at timestamptz,
  purged_at timestamptz
);
CREATE INDEX submission_answers_submission ON submission_answers (submission_id, received_at);
CREATE INDEX submission_answers_purge ON submission_answers (received_at) WHERE purged_at IS NULL;

-- Where the applicant wants to hear of an answer (the service's declared contact.email answer),
-- sealed like the applicant's copy and cleared with it by the retention purge.
ALTER TABLE submissions ADD COLUMN notify_sealed bytea;
-- An applicant's reply (a document the authority asked for) travels as a submission of its own to
-- the same authority over the same transport, naming the case it belongs to and the answer it replies to.
ALTER TABLE submissions ADD COLUMN case_id uuid REFERENCES submissions (id) ON DELETE CASCADE;
ALTER TABLE submissions ADD COLUMN in_reply_to uuid REFERENCES submission_answers (id) ON DELETE SET NULL;
CREATE INDEX submissions_case ON submissions (case_id) WHERE case_id IS NOT NULL;

-- Down Migration
DROP INDEX submissions_case;
ALTER TABLE submissions DROP COLUMN in_reply_to;
ALTER TABLE submissions DROP COLUMN case_id;
ALTER TABLE submissions DROP COLUMN notify_sealed;
DROP TABLE submission_answers;
