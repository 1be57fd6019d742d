-- Up Migration
-- Open usage figures (src/figures/, docs/figures.md): counters only, one row per month (Europe/Berlin),
-- Land, service, kind and key (spread over a few shards), never a row per applicant or per submission. Kinds:
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
  -- Each increment goes to one of a few rows picked at random (src/storage/figure-counts.ts, SHARDS),
  -- so that concurrent submits of one service and Land do not queue on a single row's lock.
  shard smallint NOT NULL DEFAULT 0,
  n bigint NOT NULL CHECK (n >= 0),
  PRIMARY KEY (month, tenant, service_id, kind, key, shard)
);
-- Whether the satisfaction survey was answered for this submission (one answer at most). The
-- answer itself is only added to figure_counts; it is never stored with the submission.
ALTER TABLE submissions ADD COLUMN survey_answered boolean NOT NULL DEFAULT false;

-- Down Migration
ALTER TABLE submissions DROP COLUMN survey_answered;
DROP TABLE figure_counts;
