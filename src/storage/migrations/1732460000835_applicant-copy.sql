-- Up Migration
-- The applicant's own copy of what they submitted (the check page's rows in each language of the
-- Land), AES-256-GCM under the draft keys and bound to the submission id; the PDF receipt on the
-- status page is made from it. Cleared together with the payload by the retention purge.
ALTER TABLE submissions ADD COLUMN applicant_copy bytea;

-- Down Migration
ALTER TABLE submissions DROP COLUMN applicant_copy;
