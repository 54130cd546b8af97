-- The orders stored before the view existed (its view is created first, so
-- nothing inserted meanwhile is missed; repeats fold).
INSERT INTO order_identity
SELECT order_id, user_id, merchant_id, product_id, amount, commission, placed_at, event_id,
       toUInt64(4102444800000 - toUnixTimestamp64Milli(ingested_at)) AS first
FROM events
WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed')
