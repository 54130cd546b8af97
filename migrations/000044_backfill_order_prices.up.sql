-- The orders stored before order_prices existed are priced by `rebate
-- migrate up` after the migrations (clickhouse.Migrator.PriceAll, a day of
-- orders at a time, with progress in the log): priced_orders takes the keys
-- of the orders to price, which one statement cannot list for a large table.
-- Kept so that the numbering of the migrations never changes.
SELECT 1
