-- first: 2100-01-01 in milliseconds minus the row's storing time, so the
-- earliest stored event of an entity has the highest version.
CREATE MATERIALIZED VIEW IF NOT EXISTS identities_mv TO identities AS
SELECT
    if(type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed'), 'order', 'withdrawal') AS kind,
    if(kind = 'order', order_id, withdrawal_id) AS id,
    user_id, merchant_id, product_id, amount, commission, placed_at, event_id,
    toUInt64(4102444800000 - toUnixTimestamp64Milli(ingested_at)) AS first
FROM events
WHERE type IN ('order_paid', 'order_settled', 'order_cancelled', 'order_reversed',
               'withdrawal_requested', 'withdrawal_completed', 'withdrawal_failed')
