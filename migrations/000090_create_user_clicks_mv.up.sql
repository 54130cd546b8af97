-- rebuild: none (000091 backfills user_clicks from clicks in the same series)
CREATE MATERIALIZED VIEW IF NOT EXISTS user_clicks_mv TO user_clicks AS
SELECT user_id, product_id, ts, event_id
FROM events
WHERE type = 'click'
