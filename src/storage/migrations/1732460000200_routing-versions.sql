-- Up Migration
-- Every change of the routing data (authorities, responsibilities, directory) is a new immutable
-- version. Processes build their in-memory index from the newest one and notice newer ones by
-- polling max(version) and by LISTEN efa_routing. Without any row the files under routing/ apply.
CREATE TABLE routing_versions (
  version integer PRIMARY KEY CHECK (version > 0),
  -- the whole dataset as imported: authorities, responsibilities, directory and the public keys
  -- it references, so a version never depends on files of the process that reads it
  document jsonb NOT NULL,
  sha256 text NOT NULL,
  authorities integer NOT NULL,
  responsibilities integer NOT NULL,
  directory integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  comment text
);

-- Down Migration
DROP TABLE routing_versions;
