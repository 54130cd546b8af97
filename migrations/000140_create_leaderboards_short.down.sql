DROP TABLE IF EXISTS leaderboards_short
