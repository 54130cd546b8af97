DROP VIEW IF EXISTS orders_by_user_mv
