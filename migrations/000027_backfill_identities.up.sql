-- The orders and withdrawals stored before the view existed (the view was
-- created first, so nothing inserted meanwhile is missed; repeats fold).
INSERT INTO identities
SELECT
    if(type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed'), 'order', 'withdrawal') AS kind,
    if(kind = 'order', order_id, withdrawal_id) AS id,
    user_id, merchant_id, product_id, amount, commission, placed_at, event_id,
    toUInt64(4102444800000 - toUnixTimestamp64Milli(ingested_at)) AS first
FROM events
WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed',
               'withdrawal_requested', 'withdrawal_completed', 'withdrawal_failed')
