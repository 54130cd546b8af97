-- The long windows back into leaderboards (000143's down).
INSERT INTO leaderboards (period, rank, user_id, rebate, as_of)
SELECT period, rank, user_id, rebate, as_of FROM leaderboards_long
