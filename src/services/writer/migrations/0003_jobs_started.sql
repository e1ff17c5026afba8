-- When a job was first started (its first attempt's claim): the persist step reads md.klines from a
-- little before its workflow's backfill began, not from the start of the topic's retention.
ALTER TABLE jobs ADD COLUMN first_started_at bigint;
UPDATE jobs SET first_started_at = updated_at WHERE first_started_at IS NULL;
