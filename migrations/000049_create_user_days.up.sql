-- Each user's paid and settled orders per day of placed_at: their rebate
-- and count, for the 7- and 30-day leaderboards. A day is worked out again
-- from order_prices whenever one of its orders is priced again, and written
-- whole.
-- By day first: a window is a range of days.
CREATE TABLE IF NOT EXISTS user_days
(
    day     Date,
    user_id UInt64,
    rebate  Decimal(38, 2),
    orders  UInt64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (day, user_id)
