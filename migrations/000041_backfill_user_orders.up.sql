INSERT INTO user_orders
SELECT user_id, order_id, merchant_id, placed_at
FROM events
WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed')
