-- Up Migration
-- The facts of the service logic the applicant is shown on the confirmation and status pages
-- (service.json "display": the fee, a yearly tax, a derived fact), as computed at submission.
-- Only the declared values, never the answers; the payload stays encrypted for the authority.
ALTER TABLE submissions ADD COLUMN shown jsonb;

-- Down Migration
ALTER TABLE submissions DROP COLUMN shown;
