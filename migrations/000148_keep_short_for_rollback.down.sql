-- The short windows into the table leaderboards is about to be again
-- (000146's down), as their last refresh left them.
INSERT INTO leaderboards_next (period, rank, user_id, rebate, as_of)
SELECT period, rank, user_id, rebate, as_of FROM leaderboards_short
