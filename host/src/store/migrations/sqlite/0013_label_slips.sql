-- The label slips the host issued (see store/slips.rs): the id is the slip's お客様管理番号
-- (MH and eight digits) in the carrier's import file, read back from its issued-data file.
-- One per parcel: a delivery sent as several parcels gets a slip, and a key, for each.
CREATE TABLE label_slips (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id           TEXT    NOT NULL,
    mall_order_number TEXT    NOT NULL,
    delivery_no       INTEGER NOT NULL,
    parcel_no         INTEGER NOT NULL DEFAULT 1,
    format            TEXT    NOT NULL,
    issued_at         TEXT    NOT NULL,
    UNIQUE (shop_id, mall_order_number, delivery_no, parcel_no, format)
);
