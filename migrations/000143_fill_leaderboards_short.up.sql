-- The short windows' leaderboards as the last refresh left them, so that
-- reads see no empty leaderboard while the migrations run.
-- rebuild: none (a copy; leaderboards_mv works the table out again within seconds)
INSERT INTO leaderboards_short (period, rank, user_id, rebate, as_of)
SELECT period, rank, user_id, rebate, as_of FROM leaderboards WHERE period IN ('1h', '24h')
