DROP VIEW IF EXISTS orders_by_time_mv
