-- Further parcels of a delivery (a mall that takes several tracking numbers per delivery): the
-- first parcel stays in order_deliveries (ship_carrier, tracking_number); the second on are here.
CREATE TABLE delivery_parcels (
    order_id        INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    delivery_no     INTEGER NOT NULL,
    parcel_no       INTEGER NOT NULL,
    carrier         TEXT    NOT NULL,
    tracking_number TEXT    NOT NULL,
    dummy           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, delivery_no, parcel_no)
);
