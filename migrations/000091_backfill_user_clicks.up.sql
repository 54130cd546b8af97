-- The clicks stored before the table existed, from clicks (which outlives
-- the raw events' retention). A click stored between the view and this
-- copy is in both: the same key, one row once merged.
INSERT INTO user_clicks (user_id, product_id, ts, event_id)
SELECT user_id, product_id, ts, event_id
FROM clicks
