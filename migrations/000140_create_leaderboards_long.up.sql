-- The long windows' leaderboards (7d, 30d and all) as of one moment,
-- replaced whole by leaderboards_long_mv every 30 s
-- (REBATE_LEADERBOARD_LONG_REFRESH, 000142). leaderboards_mv copies them
-- into leaderboards with every refresh of the short windows (1h and 24h,
-- every 2 s, 000143): reading and ranking every user of 30 days and of all
-- time cost about a second of CPU at 30 M events, every 2 s (docs/
-- benchmarks.md, "The leaderboards' refresh at 30 M events"), while the
-- short windows read only the last day's orders. Reads keep one table,
-- leaderboards: a view of two tables cost each read 4–8 ms more CPU.
-- rebuild: none (a new table; 000141 copies the long windows into it, and leaderboards_long_mv works it out again)
CREATE TABLE IF NOT EXISTS leaderboards_long
(
    period  Enum8('1h' = 1, '24h' = 2, '7d' = 3, '30d' = 4, 'all' = 5) COMMENT 'The window, ending at as_of: 7d, 30d or all.',
    rank    UInt64 COMMENT '1 for the user with the most rebate, ties by user_id; 0 is the marker row of the period.',
    user_id UInt64 COMMENT 'The user (0 on the marker row).',
    rebate  Decimal(38, 2) COMMENT 'The sum of the rebates of the user’s paid or settled orders placed in the window (yuan).',
    as_of   DateTime64(3, 'UTC') COMMENT 'The moment the windows end: when the refresh ran (UTC).'
)
ENGINE = MergeTree
ORDER BY (period, rank)
COMMENT 'The 7d, 30d and all-time leaderboards as of one moment, replaced whole by leaderboards_long_mv every 30 s or so, and copied into leaderboards by each refresh of the short windows: read leaderboards.'
