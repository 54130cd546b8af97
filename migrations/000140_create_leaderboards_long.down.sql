DROP TABLE IF EXISTS leaderboards_long
