-- The order list searches kana and phone numbers too (search.rs): the buyer's kana as a column
-- (spaces left out) that LIKE confirms, its pieces in order_name_grams beside the name's, and
-- each phone number of the buyer and the recipients as two keys there — its digits and its
-- last four digits, after a ☎ (a name's pieces are two characters, so the keys never meet).
-- Orders stored before this get their keys here; hiragana kana (rare) is read as it is.
ALTER TABLE orders ADD COLUMN buyer_kana TEXT NOT NULL DEFAULT '';
UPDATE orders SET buyer_kana =
    replace(replace(COALESCE(json_extract(buyer_json, '$.name_kana'), ''), ' ', ''), '　', '');
WITH RECURSIVE g (order_id, name, i) AS (
    SELECT id, buyer_kana, 1 FROM orders
    UNION ALL SELECT order_id, name, i + 1 FROM g WHERE i < length(name) - 1
)
INSERT INTO order_name_grams (order_id, gram)
SELECT order_id, substr(name, i, 2) FROM g WHERE length(name) >= 2
ON CONFLICT DO NOTHING;
WITH phones (order_id, digits) AS (
    SELECT id, replace(replace(replace(replace(replace(
        COALESCE(json_extract(buyer_json, '$.phone'), ''), '-', ''), ' ', ''), '(', ''), ')', ''), '+', '')
    FROM orders
    UNION ALL
    SELECT order_id, replace(replace(replace(replace(replace(
        COALESCE(json_extract(recipient_json, '$.phone'), ''), '-', ''), ' ', ''), '(', ''), ')', ''), '+', '')
    FROM order_deliveries
)
INSERT INTO order_name_grams (order_id, gram)
SELECT order_id, '☎' || digits FROM phones WHERE length(digits) >= 4
UNION
SELECT order_id, '☎' || substr(digits, -4) FROM phones WHERE length(digits) >= 4
ON CONFLICT DO NOTHING;
-- The mall's status as the status sync last read it, with the plugin's words for it (the
-- order-state's message): the order page shows the mall's current status, not the one the
-- order was fetched with.
ALTER TABLE orders ADD COLUMN mall_status_words TEXT NOT NULL DEFAULT '';
