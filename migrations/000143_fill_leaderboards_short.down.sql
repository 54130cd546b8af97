-- The short windows back into leaderboards (a table again, empty, by the
-- downs of 000145–000147), as the last refresh left them.
INSERT INTO leaderboards (period, rank, user_id, rebate, as_of)
SELECT period, rank, user_id, rebate, as_of FROM leaderboards_short
