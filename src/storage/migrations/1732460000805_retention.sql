-- Up Migration
-- The retention purge empties payload_jwe of submissions delivered (or decided) long enough ago and
-- records when; everything else about the submission (reference, status, authority, hash) stays.
ALTER TABLE submissions ADD COLUMN payload_purged_at timestamptz;
-- What the purge looks for: settled submissions that still hold their ciphertext, by age.
CREATE INDEX submissions_payload_due ON submissions (updated_at)
  WHERE payload_purged_at IS NULL AND status IN ('delivered', 'accepted', 'rejected');

-- Down Migration
DROP INDEX submissions_payload_due;
ALTER TABLE submissions DROP COLUMN payload_purged_at;
