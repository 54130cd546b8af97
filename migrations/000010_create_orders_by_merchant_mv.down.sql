DROP VIEW IF EXISTS orders_by_merchant_mv
