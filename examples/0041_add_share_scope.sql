-- Unsafe on purpose: the migration behind a crash loop. The backfill and the index
-- build run in the migration's transaction, holding the lock for the whole table.
BEGIN;
ALTER TABLE traces ADD COLUMN share_scope text;
UPDATE traces SET share_scope = 'private' WHERE share_scope IS NULL;
CREATE INDEX ix_traces_share_scope ON traces (share_scope);
COMMIT;
