CREATE MATERIALIZED VIEW IF NOT EXISTS withdrawals_mv TO withdrawals AS
SELECT
    user_id,
    withdrawal_id,
    toUInt8(multiIf(type = 'withdrawal_requested', 1, type = 'withdrawal_failed', 2, 3)) AS state,
    amount,
    ts
FROM events
WHERE type IN ('withdrawal_requested', 'withdrawal_completed', 'withdrawal_failed')
