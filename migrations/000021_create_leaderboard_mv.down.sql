DROP VIEW IF EXISTS leaderboard_mv
