CREATE MATERIALIZED VIEW IF NOT EXISTS orders_by_merchant_mv TO orders_by_merchant AS
SELECT * FROM order_changes
