DROP VIEW IF EXISTS leaderboards_long_mv
