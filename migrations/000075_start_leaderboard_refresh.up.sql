-- The leaderboards refresh again (stopped two migrations before).
SYSTEM START VIEW leaderboards_mv
