-- Each user's paid and settled orders of all time: rebate and count, for
-- the all-time leaderboard; worked out again from order_prices whenever one
-- of the user's orders is priced again.
CREATE TABLE IF NOT EXISTS user_totals
(
    user_id UInt64,
    rebate  Decimal(38, 2),
    orders  UInt64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY user_id
