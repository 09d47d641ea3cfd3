-- Orders, their deliveries and lines, the product master, history and shipment pushes.
-- Instants are TEXT 'YYYY-MM-DDTHH:MM:SSZ' (UTC, sortable); dates are TEXT 'YYYY-MM-DD' (JST).
-- Money is INTEGER yen.

CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY,
    shop_id             TEXT    NOT NULL,
    mall_id             TEXT    NOT NULL,
    mall_order_number   TEXT    NOT NULL,
    source              TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    hold_reason         TEXT,
    mall_status         TEXT    NOT NULL,
    ordered_at          TEXT    NOT NULL,
    mall_updated_at     TEXT    NOT NULL,
    payment_method      TEXT    NOT NULL,
    buyer_json          TEXT    NOT NULL,
    buyer_note          TEXT    NOT NULL,
    items_total         INTEGER NOT NULL,
    shipping_fee        INTEGER NOT NULL,
    cod_fee             INTEGER NOT NULL,
    points_used         INTEGER NOT NULL,
    coupon_discount     INTEGER NOT NULL,
    billing_total       INTEGER NOT NULL,
    multiple_deliveries INTEGER NOT NULL,
    add_on_service      INTEGER NOT NULL,
    no_buyer_email      INTEGER NOT NULL,
    take_state          TEXT    NOT NULL,
    take_attempts       INTEGER NOT NULL DEFAULT 0,
    take_error          TEXT,
    carrier             TEXT,
    tracking_number     TEXT,
    ship_date           TEXT,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    UNIQUE (shop_id, mall_order_number)
);
CREATE INDEX orders_take ON orders (shop_id, take_state);
CREATE INDEX orders_export ON orders (shop_id, updated_at);

CREATE TABLE order_deliveries (
    order_id          INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    delivery_no       INTEGER NOT NULL,
    recipient_json    TEXT    NOT NULL,
    delivery_method   TEXT    NOT NULL,
    carrier           TEXT,
    desired_date      TEXT,
    desired_time_slot TEXT    NOT NULL,
    time_slot         TEXT,
    PRIMARY KEY (order_id, delivery_no)
);

CREATE TABLE order_lines (
    order_id           INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    delivery_no        INTEGER NOT NULL,
    line_no            INTEGER NOT NULL,
    item_code          TEXT    NOT NULL,
    sku_code           TEXT    NOT NULL,
    quantity           INTEGER NOT NULL,
    unit_price         INTEGER NOT NULL,
    tax_rate           INTEGER NOT NULL,
    has_add_on_service INTEGER NOT NULL,
    product_name       TEXT,
    PRIMARY KEY (order_id, delivery_no, line_no)
);
CREATE INDEX order_lines_codes ON order_lines (item_code, sku_code);

-- The product master (商品データ): names for malls that return none.
CREATE TABLE products (
    item_code  TEXT    NOT NULL,
    sku_code   TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    price      INTEGER,
    jan_code   TEXT,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (item_code, sku_code)
);

-- One row for every change of an order: who or what did it, and what.
CREATE TABLE order_history (
    id       INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at       TEXT    NOT NULL,
    event    TEXT    NOT NULL,
    detail   TEXT    NOT NULL
);
CREATE INDEX order_history_order ON order_history (order_id, id);

-- Every attempt to push a shipment to the mall, with its result.
CREATE TABLE shipment_pushes (
    id              INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    carrier         TEXT    NOT NULL,
    carrier_id      TEXT    NOT NULL,
    tracking_number TEXT    NOT NULL,
    ship_date       TEXT    NOT NULL,
    attempted_at    TEXT    NOT NULL,
    outcome         TEXT    NOT NULL, -- ok | rejected | failed
    error           TEXT
);
CREATE INDEX shipment_pushes_order ON shipment_pushes (order_id, id);
