-- Up Migration
-- The payload format the directory entry asked for at submit ('json', 'xml', a standard such as
-- 'xgewerbeanzeige-2.2') and, for a standard message, its message type (the root element): the
-- transports name the standard with them (XTA Qualifier, OSCI), whatever the entry says later.
-- Rows from before stay NULL and are named by their media type.
ALTER TABLE submissions ADD COLUMN payload_format text, ADD COLUMN message_type text;

-- Down Migration
ALTER TABLE submissions DROP COLUMN message_type, DROP COLUMN payload_format;
