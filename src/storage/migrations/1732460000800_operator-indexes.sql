-- Up Migration
-- The operator's delivery list pages by keyset (submitted_at, id), newest first, optionally by
-- status, authority or tenant: each filter has an index in that order, so a page reads `limit`
-- index entries instead of sorting the table. submissions_status is covered by the status one.
CREATE INDEX submissions_list ON submissions (submitted_at DESC, id DESC);
CREATE INDEX submissions_list_status ON submissions (status, submitted_at DESC, id DESC);
CREATE INDEX submissions_list_authority ON submissions (authority_id, submitted_at DESC, id DESC);
CREATE INDEX submissions_list_tenant ON submissions (tenant, submitted_at DESC, id DESC);
DROP INDEX submissions_status;

-- Retention: attempts by age.
CREATE INDEX delivery_attempts_finished ON delivery_attempts (finished_at);

-- Down Migration
DROP INDEX delivery_attempts_finished;
CREATE INDEX submissions_status ON submissions (status);
DROP INDEX submissions_list_tenant;
DROP INDEX submissions_list_authority;
DROP INDEX submissions_list_status;
DROP INDEX submissions_list;
