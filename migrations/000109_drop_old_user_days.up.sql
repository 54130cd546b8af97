DROP TABLE IF EXISTS user_days_by_user
