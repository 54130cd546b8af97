DROP VIEW IF EXISTS leaderboards_next
