-- Stopped while the comments are taken off.
SYSTEM STOP VIEW leaderboards_mv
