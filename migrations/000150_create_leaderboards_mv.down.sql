DROP VIEW IF EXISTS leaderboards_mv
