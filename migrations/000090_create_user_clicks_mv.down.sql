DROP VIEW IF EXISTS user_clicks_mv
