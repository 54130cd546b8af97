-- The long windows' leaderboards as the last refresh left them (000143).
-- rebuild: none (a copy; leaderboards_long_mv works the table out again)
INSERT INTO leaderboards_long (period, rank, user_id, rebate, as_of)
SELECT period, rank, user_id, rebate, as_of FROM leaderboards WHERE period IN ('7d', '30d', 'all')
