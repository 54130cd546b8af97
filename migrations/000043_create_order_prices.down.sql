DROP TABLE IF EXISTS order_prices
