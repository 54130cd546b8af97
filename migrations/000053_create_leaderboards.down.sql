DROP TABLE IF EXISTS leaderboards
