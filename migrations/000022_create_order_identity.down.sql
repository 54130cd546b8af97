DROP TABLE IF EXISTS order_identity
