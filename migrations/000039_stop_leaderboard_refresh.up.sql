-- leaderboard_mv makes each refresh's table from the leaderboard's definition as
-- it starts, and exchanges it whole: a comment written meanwhile would be lost.
-- Stopped (a refresh under way is cancelled), it stands still while 000040
-- comments the leaderboard.
SYSTEM STOP VIEW leaderboard_mv
