-- Up Migration
-- The eIDAS level ('low' | 'substantial' | 'high') of the applicant's login at submit, so the
-- transports can name it in their metadata (FIT-Connect authenticationInformation, XTA, OSCI).
-- NULL for an anonymous application and for rows from before.
ALTER TABLE submissions ADD COLUMN trust_level text CHECK (trust_level IN ('low', 'substantial', 'high'));

-- Down Migration
ALTER TABLE submissions DROP COLUMN trust_level;
