DROP VIEW IF EXISTS user_tiers_mv
