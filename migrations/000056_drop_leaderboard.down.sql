-- The leaderboards of every window as of one moment (as_of), replaced whole
-- by leaderboard_mv. Rank 0 of each period is a marker row carrying as_of, so
-- an empty leaderboard still says how fresh it is.
CREATE TABLE IF NOT EXISTS leaderboard
(
    period  Enum8('1h' = 1, '24h' = 2, '7d' = 3, '30d' = 4, 'all' = 5),
    rank    UInt64,
    user_id UInt64,
    rebate  Decimal(38, 2),
    as_of   DateTime64(3, 'UTC'),
    INDEX user_idx user_id TYPE bloom_filter GRANULARITY 1
)
ENGINE = MergeTree
ORDER BY (period, rank)
