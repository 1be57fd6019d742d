-- Up Migration
-- Each draft file gets a random key of its own (AES-256-GCM over its chunks), stored wrapped under
-- the current draft key: a draft key rotation re-wraps these 60 bytes when the draft is saved
-- instead of re-encrypting the file. NULL: a file from before, its chunks under the draft key itself
-- (re-wrapped on the next save as well).
ALTER TABLE attachments ADD COLUMN key_wrap bytea;
-- A draft file counts as the draft's once a save committed a draft that references it. Until then it
-- belongs to the post that is uploading it, and another tab's save leaves it alone; one no save ever
-- took is an orphan for the retention purge.
ALTER TABLE attachments ADD COLUMN committed boolean NOT NULL DEFAULT false;
UPDATE attachments SET committed = true WHERE state <> 'pending';
-- What the purge looks for: files that no save took.
CREATE INDEX attachments_uncommitted ON attachments (created_at) WHERE draft_id IS NOT NULL AND NOT committed;

-- Down Migration
DROP INDEX attachments_uncommitted;
ALTER TABLE attachments DROP COLUMN committed;
ALTER TABLE attachments DROP COLUMN key_wrap;
