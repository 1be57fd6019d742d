-- Up Migration
-- The e-mail address the applicant gave for replies (the first field of the service's data schema
-- with "format": "email" that holds one), so a transport can announce it as reply channel (FIT-Connect
-- metadata 2.x replyChannel.eMail). Kept only while the submission waits for its delivery: NULL for
-- pull authorities (they read it in the payload), set to NULL once delivered, NULL when none was given.
ALTER TABLE submissions ADD COLUMN reply_email text;

-- Down Migration
ALTER TABLE submissions DROP COLUMN reply_email;
