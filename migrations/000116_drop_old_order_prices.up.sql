DROP TABLE IF EXISTS order_prices_by_day
