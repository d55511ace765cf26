-- Unsafe on purpose: a validated foreign key and a NOT NULL column without a default.
ALTER TABLE orders ADD COLUMN region text NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
