SYSTEM START VIEW leaderboard_mv
