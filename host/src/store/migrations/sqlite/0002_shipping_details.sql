-- Dummy tracking numbers (定形外 and other untracked mail) are recorded as such, and each
-- delivery of a multi-delivery order (複数配送) carries its own carrier and tracking number.
ALTER TABLE orders ADD COLUMN tracking_is_dummy INTEGER NOT NULL DEFAULT 0;
ALTER TABLE order_deliveries ADD COLUMN ship_carrier TEXT;
ALTER TABLE order_deliveries ADD COLUMN tracking_number TEXT;
