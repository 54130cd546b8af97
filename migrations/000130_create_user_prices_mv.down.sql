DROP VIEW IF EXISTS user_prices_mv
