CREATE MATERIALIZED VIEW IF NOT EXISTS members_mv TO members AS
SELECT user_id, inviter_id, ts AS joined_at, event_id, toUInt64(4102444800000 - toUnixTimestamp64Milli(ts)) AS first
FROM events
WHERE type = 'user_joined'
