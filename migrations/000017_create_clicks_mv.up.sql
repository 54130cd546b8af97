CREATE MATERIALIZED VIEW IF NOT EXISTS clicks_mv TO clicks AS
SELECT merchant_id, ts, event_id, user_id, product_id
FROM events
WHERE type = 'click'
