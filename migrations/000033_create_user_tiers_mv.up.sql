CREATE MATERIALIZED VIEW IF NOT EXISTS user_tiers_mv TO user_tiers AS
SELECT user_id, ts, event_id, tier
FROM events
WHERE type = 'user_tier_changed'
