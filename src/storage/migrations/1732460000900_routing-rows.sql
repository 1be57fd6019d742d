-- Up Migration
-- Routing versions stored per row instead of as one whole document: a row (one authority, one
-- responsibility, one directory entry, one named key) is stored once and belongs to every version
-- from first_version to last_version (NULL: still in the newest). A one-line change to a
-- nationwide dataset of 100k rows then writes two rows (the old one closed, the new one inserted)
-- instead of the whole dataset again. Versions written before this migration keep their document.
CREATE TABLE routing_rows (
  id bigserial PRIMARY KEY,
  tbl text NOT NULL CHECK (tbl IN ('authorities', 'responsibilities', 'directory', 'keys')),
  -- id, leikaKey|arsPrefix, authorityId|serviceKey, or the key's name
  natural_key text NOT NULL,
  -- the row's place in its table; unchanged rows keep theirs, new rows get one between neighbours
  ord double precision NOT NULL,
  row jsonb NOT NULL,
  first_version integer NOT NULL CHECK (first_version > 0),
  last_version integer CHECK (last_version >= first_version)
);
-- The newest version's rows: what a write diffs against.
CREATE INDEX routing_rows_live ON routing_rows (tbl, ord) WHERE last_version IS NULL;
-- Reading an older version, and the purge of rows no kept version still has.
CREATE INDEX routing_rows_versions ON routing_rows (first_version, last_version);

ALTER TABLE routing_versions ALTER COLUMN document DROP NOT NULL;
-- rows written by this version (inserted and closed): how much a change really stored
ALTER TABLE routing_versions ADD COLUMN rows_written integer;

-- Down Migration
-- Row-stored versions get their document back, so the previous code can read them.
UPDATE routing_versions v SET document = jsonb_build_object(
  'authorities', coalesce((SELECT jsonb_agg(r.row ORDER BY r.ord) FROM routing_rows r WHERE r.tbl = 'authorities' AND r.first_version <= v.version AND (r.last_version IS NULL OR r.last_version >= v.version)), '[]'::jsonb),
  'responsibilities', coalesce((SELECT jsonb_agg(r.row ORDER BY r.ord) FROM routing_rows r WHERE r.tbl = 'responsibilities' AND r.first_version <= v.version AND (r.last_version IS NULL OR r.last_version >= v.version)), '[]'::jsonb),
  'directory', coalesce((SELECT jsonb_agg(r.row ORDER BY r.ord) FROM routing_rows r WHERE r.tbl = 'directory' AND r.first_version <= v.version AND (r.last_version IS NULL OR r.last_version >= v.version)), '[]'::jsonb),
  'keys', coalesce((SELECT jsonb_object_agg(r.natural_key, r.row) FROM routing_rows r WHERE r.tbl = 'keys' AND r.first_version <= v.version AND (r.last_version IS NULL OR r.last_version >= v.version)), '{}'::jsonb))
WHERE document IS NULL;
ALTER TABLE routing_versions DROP COLUMN rows_written;
ALTER TABLE routing_versions ALTER COLUMN document SET NOT NULL;
DROP TABLE routing_rows;
