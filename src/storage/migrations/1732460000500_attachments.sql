-- Up Migration
-- Uploaded files, stored in PostgreSQL in chunks so that every API replica and worker sees them.
-- While the application is a draft a file belongs to the draft (encrypted with the draft key, gone
-- when the draft expires or is discarded: ON DELETE CASCADE); at submit it is re-encrypted for the
-- responsible authority (a compact JWE) and bound to the submission in the submit transaction.
CREATE TABLE attachments (
  id uuid PRIMARY KEY,
  draft_id uuid REFERENCES drafts (id) ON DELETE CASCADE,
  submission_id uuid REFERENCES submissions (id),
  -- 'pending': still streaming in (a crashed upload is removed by the draft purge);
  -- 'ready': checked and stored for the draft; 'sealed': a JWE for the authority, bound to the submission
  state text NOT NULL CHECK (state IN ('pending', 'ready', 'sealed')),
  filename text NOT NULL,
  media_type text,
  size bigint,
  sha512 text,
  -- set at submit: where the file's reference sits in the data, and which chunk set is the JWE
  pointer text,
  sealed_part text,
  jwe_length bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((draft_id IS NULL) <> (submission_id IS NULL)),
  CHECK (state <> 'sealed' OR (submission_id IS NOT NULL AND sealed_part IS NOT NULL AND jwe_length IS NOT NULL))
);
CREATE INDEX attachments_draft ON attachments (draft_id) WHERE draft_id IS NOT NULL;
CREATE INDEX attachments_submission ON attachments (submission_id) WHERE submission_id IS NOT NULL;

-- 'draft': AES-256-GCM chunks under the draft key; any other part name: one sealing run's JWE bytes
-- (ASCII of the compact serialisation), read in seq order.
CREATE TABLE attachment_chunks (
  attachment_id uuid NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
  part text NOT NULL,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (attachment_id, part, seq)
);

-- Down Migration
DROP TABLE attachment_chunks;
DROP TABLE attachments;
