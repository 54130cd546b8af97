DROP VIEW IF EXISTS user_orders_mv
