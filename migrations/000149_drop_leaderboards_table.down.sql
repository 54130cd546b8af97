-- The table leaderboards was (000053, commented by 000074), under the name
-- 000146's down exchanges it back from; the downs of 000148 and 000147 fill it
-- first.
CREATE TABLE IF NOT EXISTS leaderboards_next
(
    period  Enum8('1h' = 1, '24h' = 2, '7d' = 3, '30d' = 4, 'all' = 5) COMMENT 'The window, ending at as_of: 1h, 24h, 7d, 30d or all.',
    rank    UInt64 COMMENT '1 for the user with the most rebate, ties by user_id; 0 is the marker row of the period.',
    user_id UInt64 COMMENT 'The user (0 on the marker row).',
    rebate  Decimal(38, 2) COMMENT 'The sum of the rebates of the user’s paid or settled orders placed in the window (yuan).',
    as_of   DateTime64(3, 'UTC') COMMENT 'The moment the windows end: when the refresh ran (UTC).',
    INDEX user_idx user_id TYPE bloom_filter GRANULARITY 1
)
ENGINE = MergeTree
ORDER BY (period, rank)
COMMENT 'Every window’s leaderboard as of one moment, replaced whole by leaderboards_mv every few seconds (read as stored). Rank 0 of each period is a marker row carrying as_of: skip it (rank > 0) when listing users.'
