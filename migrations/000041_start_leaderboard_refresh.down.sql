-- The leaderboard stands still while 000040 is reverted.
SYSTEM STOP VIEW leaderboard_mv
