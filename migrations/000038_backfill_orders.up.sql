-- The orders stored before the view existed.
INSERT INTO orders
SELECT order_id, user_id, merchant_id, product_id, toUInt8(multiIf(type = 'order_paid', 1, type = 'order_settled', 2, 3)) AS state,
       amount, commission, placed_at, ts
FROM events
WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed')
