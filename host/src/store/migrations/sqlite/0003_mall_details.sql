-- Contract 0.2.0 keeps everything a mall gives: the buyer's e-mail (with a relay marker),
-- whether prices include tax, fee and discount lists, the mall's other remarks on an order,
-- option texts per line, the mall's own id of each delivery (a basket), and where a line's
-- product name came from (the mall, or the product master).
ALTER TABLE orders ADD COLUMN buyer_email TEXT;
ALTER TABLE orders ADD COLUMN buyer_email_relay INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN prices_include_tax INTEGER NOT NULL DEFAULT 1;
ALTER TABLE orders ADD COLUMN fees_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE orders ADD COLUMN discounts_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE orders ADD COLUMN marks_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE order_lines ADD COLUMN option_text TEXT;
ALTER TABLE order_lines ADD COLUMN name_from_mall INTEGER NOT NULL DEFAULT 0;
ALTER TABLE order_deliveries ADD COLUMN mall_delivery_id TEXT;
