CREATE MATERIALIZED VIEW IF NOT EXISTS orders_by_time_mv TO orders_by_time AS
SELECT * FROM order_changes
