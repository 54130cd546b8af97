-- leaderboards_mv makes each refresh's table from the leaderboards' definition as
-- it starts, and exchanges it whole: a comment written meanwhile would be lost.
-- Stopped (a refresh under way is cancelled), it stands still while the next
-- migration comments the leaderboards.
SYSTEM STOP VIEW leaderboards_mv
