-- The web console (console/): login sessions (the SHA-256 of the cookie only, and the session's
-- CSRF token), the buyer's name as a column the order list searches, and the indexes its pages
-- use (newest first, by shop and status, by tracking number) so that they stay fast at
-- 100,000 orders (docs/benchmarks.md).
CREATE TABLE sessions (
    id_sha256  TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

ALTER TABLE orders ADD COLUMN buyer_name TEXT NOT NULL DEFAULT '';
UPDATE orders SET buyer_name = COALESCE(json_extract(buyer_json, '$.name'), '');
CREATE INDEX orders_newest ON orders (ordered_at, mall_order_number);
CREATE INDEX orders_shop_status ON orders (shop_id, status, ordered_at, mall_order_number);
CREATE INDEX orders_status ON orders (status, ordered_at, mall_order_number);
-- Part of a name matches anywhere in it, so that search reads every name: this index holds
-- just the names and statuses, a fraction of the table's pages.
CREATE INDEX orders_buyer ON orders (buyer_name, status);
CREATE INDEX orders_number ON orders (mall_order_number);
CREATE INDEX orders_tracking ON orders (tracking_number);
CREATE INDEX order_deliveries_tracking ON order_deliveries (tracking_number);
CREATE INDEX delivery_parcels_tracking ON delivery_parcels (tracking_number);
