-- The leaderboard refreshes again (stopped by 000039).
SYSTEM START VIEW leaderboard_mv
