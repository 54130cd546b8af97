-- The leaderboards refresh again (stopped by 000144).
-- rebuild: none (starts a refresh)
SYSTEM START VIEW leaderboards_mv
