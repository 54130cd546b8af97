-- The long windows' leaderboards as the last refresh left them, so that the
-- short windows' refresh has them to copy (000143) before the long windows'
-- first refresh.
-- rebuild: none (a copy; leaderboards_long_mv works the table out again)
INSERT INTO leaderboards_long (period, rank, user_id, rebate, as_of)
SELECT period, rank, user_id, rebate, as_of FROM leaderboards WHERE period IN ('7d', '30d', 'all')
