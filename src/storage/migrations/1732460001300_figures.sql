-- Up Migration
-- Open usage figures (src/figures/, docs/figures.md): counters only, one row per month (Europe/Berlin),
-- Land, service, kind and key, never a row per applicant or per submission. Kinds:
--   started    a draft was opened (key '')
--   submitted  a draft was submitted (key '')
--   duration   a submission's time from start to submit, by bucket (key: the bucket's index, see src/figures/counts.ts)
--   abandoned  a draft expired without being submitted, by the step it had reached (key: step id, '' before any answer)
--   paid       a submission with a paid payment (key '')
--   survey     an answer of the satisfaction survey (key '1'..'5')
CREATE TABLE figure_counts (
  month date NOT NULL,
  tenant text NOT NULL,
  service_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('started', 'submitted', 'duration', 'abandoned', 'paid', 'survey')),
  key text NOT NULL DEFAULT '',
  n bigint NOT NULL CHECK (n >= 0),
  PRIMARY KEY (month, tenant, service_id, kind, key)
);
-- Whether the satisfaction survey was answered for this submission (one answer at most). The
-- answer itself is only added to figure_counts; it is never stored with the submission.
ALTER TABLE submissions ADD COLUMN survey_answered boolean NOT NULL DEFAULT false;

-- Down Migration
ALTER TABLE submissions DROP COLUMN survey_answered;
DROP TABLE figure_counts;
