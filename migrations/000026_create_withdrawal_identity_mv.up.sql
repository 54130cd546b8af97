CREATE MATERIALIZED VIEW IF NOT EXISTS withdrawal_identity_mv TO withdrawal_identity AS
SELECT withdrawal_id, user_id, amount, event_id,
       toUInt64(4102444800000 - toUnixTimestamp64Milli(ingested_at)) AS first
FROM events
WHERE type IN ('withdrawal_requested', 'withdrawal_completed', 'withdrawal_failed')
