-- Up Migration
-- Who holds an outbox entry's lease: a worker settles a failed attempt only while the token is
-- still its own. The attempt counter cannot prove that once a redelivery has reset it.
ALTER TABLE outbox ADD COLUMN lease uuid;

-- Down Migration
ALTER TABLE outbox DROP COLUMN lease;
