-- The leaderboards refresh again.
SYSTEM START VIEW leaderboards_mv
