-- Contract 0.3.0's order details: whether the buyer has paid (an unpaid order is held from
-- export until the mall says paid; orders stored before count as paid), each delivery's gift
-- message and each line's JAN code. Company and department ride in the address JSON.
ALTER TABLE orders ADD COLUMN payment_state TEXT NOT NULL DEFAULT 'paid';
ALTER TABLE order_deliveries ADD COLUMN gift_message TEXT;
ALTER TABLE order_lines ADD COLUMN jan TEXT;
