DROP VIEW IF EXISTS user_signals
