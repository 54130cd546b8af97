CREATE MATERIALIZED VIEW IF NOT EXISTS clicks_minutely_mv TO clicks_minutely AS
SELECT toStartOfMinute(ts) AS minute, merchant_id, uniqExactState(event_id) AS clicks, max(ts) AS max_ts
FROM events
WHERE type = 'click'
GROUP BY minute, merchant_id
