-- Up Migration
-- "Save and continue later" by e-mail: a link with a random secret of its own (32 bytes,
-- base64url) that opens the draft in another browser. Only its SHA-256 is stored; one link per
-- draft (a new mail replaces the old link), and the number of mails sent for a draft is bounded so
-- the form cannot be used to mail strangers. Gone with the draft.
CREATE TABLE draft_resume_links (
  draft_id uuid PRIMARY KEY REFERENCES drafts (id) ON DELETE CASCADE,
  token_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
  mails_sent integer NOT NULL DEFAULT 1,
  sent_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE draft_resume_links;
