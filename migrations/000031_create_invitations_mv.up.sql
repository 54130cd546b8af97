CREATE MATERIALIZED VIEW IF NOT EXISTS invitations_mv TO invitations AS
SELECT inviter_id, user_id, ts AS joined_at, toUInt64(4102444800000 - toUnixTimestamp64Milli(ts)) AS first
FROM events
WHERE type = 'user_joined' AND inviter_id != 0
