-- The table keyed by day again (under the name 000107 exchanged it to), as
-- 000049 made it and 000086 commented it; 000108's down fills it and
-- 000107's down swaps it back.
CREATE TABLE IF NOT EXISTS user_days_by_user
(
    day     Date           COMMENT 'The UTC day.',
    user_id UInt64         COMMENT 'The user.',
    rebate  Decimal(38, 2) COMMENT 'The sum of the rebates (yuan).',
    orders  UInt64         COMMENT 'Paid and settled orders.',
    version UInt64         COMMENT 'When it was worked out (ns); the newest wins.'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (day, user_id)
COMMENT 'Each user’s paid and settled orders per day of placed_at (rebate and count), for the 7- and 30-day leaderboards; worked out again whole from order_prices (read with FINAL).'
