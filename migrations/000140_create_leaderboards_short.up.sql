-- The short windows' leaderboards (1h and 24h) as of one moment, replaced
-- whole by leaderboards_mv every 2 s (REBATE_LEADERBOARD_REFRESH). The long
-- windows (7d, 30d, all) get a table of their own, refreshed less often:
-- reading and ranking every user of 30 days and all time cost about a second
-- of CPU at 30 M events, every 2 s (docs/benchmarks.md, "The leaderboards'
-- refresh at 30 M events"), while the short windows read only the last
-- day's orders. The leaderboards view (000146) reads both.
-- rebuild: none (a new table; 000143 copies the leaderboards into it, and leaderboards_mv works it out again)
CREATE TABLE IF NOT EXISTS leaderboards_short
(
    period  Enum8('1h' = 1, '24h' = 2, '7d' = 3, '30d' = 4, 'all' = 5) COMMENT 'The window, ending at as_of: 1h or 24h.',
    rank    UInt64 COMMENT '1 for the user with the most rebate, ties by user_id; 0 is the marker row of the period.',
    user_id UInt64 COMMENT 'The user (0 on the marker row).',
    rebate  Decimal(38, 2) COMMENT 'The sum of the rebates of the user’s paid or settled orders placed in the window (yuan).',
    as_of   DateTime64(3, 'UTC') COMMENT 'The moment the windows end: when the refresh ran (UTC).',
    INDEX user_idx user_id TYPE bloom_filter GRANULARITY 1
)
ENGINE = MergeTree
ORDER BY (period, rank)
COMMENT 'The 1h and 24h leaderboards as of one moment, replaced whole by leaderboards_mv every few seconds; read them through leaderboards. Rank 0 of each period is a marker row carrying as_of.'
