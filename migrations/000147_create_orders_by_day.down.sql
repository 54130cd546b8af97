DROP TABLE IF EXISTS orders_by_day
