-- Every window's leaderboard, as readers and analysts have read the table
-- leaderboards: the same columns, the short windows' table and the long
-- windows'. Made under another name, then exchanged with the table
-- (000146), so that no read finds leaderboards missing.
-- rebuild: none (a plain view)
CREATE VIEW IF NOT EXISTS leaderboards_next
(
    period  Enum8('1h' = 1, '24h' = 2, '7d' = 3, '30d' = 4, 'all' = 5) COMMENT 'The window, ending at as_of: 1h, 24h, 7d, 30d or all.',
    rank    UInt64 COMMENT '1 for the user with the most rebate, ties by user_id; 0 is the marker row of the period.',
    user_id UInt64 COMMENT 'The user (0 on the marker row).',
    rebate  Decimal(38, 2) COMMENT 'The sum of the rebates of the user’s paid or settled orders placed in the window (yuan).',
    as_of   DateTime64(3, 'UTC') COMMENT 'The moment the window ends: when its refresh ran (UTC); the short and the long windows refresh apart.'
)
COMMENT 'Every window’s leaderboard, each as of its own moment (as_of): 1h and 24h refreshed every 2 s or so (leaderboards_mv into leaderboards_short), 7d, 30d and all every 30 s or so (leaderboards_long_mv into leaderboards_long). Rank 0 of each period is a marker row carrying as_of: skip it (rank > 0) when listing users.'
AS
SELECT period, rank, user_id, rebate, as_of FROM leaderboards_short
UNION ALL
SELECT period, rank, user_id, rebate, as_of FROM leaderboards_long
