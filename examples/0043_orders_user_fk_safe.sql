-- The safe way: short lock waits for the ALTERs, NOT VALID first, validation in its own
-- transaction, and a concurrent index build with no timeout in force (it blocks nobody while
-- it waits for older transactions) that survives a retry.
SET lock_timeout = '3s';
ALTER TABLE orders ADD COLUMN IF NOT EXISTS region text;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;
SET lock_timeout = 0;
DROP INDEX CONCURRENTLY IF EXISTS ix_orders_user;
CREATE INDEX CONCURRENTLY ix_orders_user ON orders (user_id);
