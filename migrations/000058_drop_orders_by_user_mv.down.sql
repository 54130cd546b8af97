CREATE MATERIALIZED VIEW IF NOT EXISTS orders_by_user_mv TO orders_by_user AS
SELECT * FROM order_changes
