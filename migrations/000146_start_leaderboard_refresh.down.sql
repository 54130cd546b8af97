-- Stopped while 000145's down writes the comments back.
SYSTEM STOP VIEW leaderboards_mv
