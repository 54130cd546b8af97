CREATE MATERIALIZED VIEW IF NOT EXISTS user_clicks_mv TO user_clicks AS
SELECT user_id, product_id, ts, event_id
FROM events
WHERE type = 'click'
