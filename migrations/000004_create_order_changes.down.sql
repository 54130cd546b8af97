DROP TABLE IF EXISTS order_changes
