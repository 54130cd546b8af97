-- leaderboards_mv makes each refresh's table from the leaderboards'
-- definition as it starts and exchanges it whole, so a comment written
-- meanwhile would be lost (as 000073 found): stopped while 000145 comments
-- the table, started again by 000146.
-- rebuild: none (stops a refresh)
SYSTEM STOP VIEW leaderboards_mv
