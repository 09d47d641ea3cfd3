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
-- Part of a buyer's name: every two characters of it (spaces left out), so that a search for
-- 山田 finds 山田 太郎 through an index instead of reading every order (search.rs).
CREATE TABLE order_name_grams (
    gram     TEXT NOT NULL,
    order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    PRIMARY KEY (gram, order_id)
) WITHOUT ROWID;
WITH RECURSIVE g (order_id, name, i) AS (
    SELECT id, replace(replace(buyer_name, ' ', ''), '　', ''), 1 FROM orders
    UNION ALL SELECT order_id, name, i + 1 FROM g WHERE i < length(name) - 1
)
INSERT INTO order_name_grams (order_id, gram)
SELECT order_id, substr(name, i, 2) FROM g WHERE length(name) >= 2
ON CONFLICT DO NOTHING;
-- Tracking numbers are indexed once set (an order is stored without one: nothing to write).
CREATE INDEX orders_number ON orders (mall_order_number);
CREATE INDEX orders_tracking ON orders (tracking_number) WHERE tracking_number IS NOT NULL;
CREATE INDEX order_deliveries_tracking ON order_deliveries (tracking_number) WHERE tracking_number IS NOT NULL;
CREATE INDEX delivery_parcels_tracking ON delivery_parcels (tracking_number) WHERE tracking_number IS NOT NULL;
