DROP VIEW IF EXISTS order_identity_mv
