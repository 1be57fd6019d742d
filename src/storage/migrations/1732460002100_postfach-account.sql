-- Up Migration
-- The Postfach after login (docs/postfach.md): a submission made logged in keeps its account's key,
-- the same pseudonym the draft was bound to (SHA-256 of tenant and the account service's subject,
-- src/accounts/sessions.ts accountKey), never the subject or anything readable of the person.
-- NULL for an anonymous application and for rows from before.
ALTER TABLE submissions ADD COLUMN account text CHECK (account ~ '^[0-9a-f]{64}$');
CREATE INDEX submissions_account ON submissions (tenant, account, submitted_at) WHERE account IS NOT NULL;
-- When the applicant first opened the Postfach after the answer came: the overview marks the others as new.
ALTER TABLE submission_answers ADD COLUMN read_at timestamptz;

-- Down Migration
ALTER TABLE submission_answers DROP COLUMN read_at;
DROP INDEX submissions_account;
ALTER TABLE submissions DROP COLUMN account;
