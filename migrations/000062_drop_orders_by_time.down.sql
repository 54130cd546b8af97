-- Orders by placed_at: time windows and per-minute figures.
-- One row per order once parts merge (FINAL before): ReplacingMergeTree keeps
-- the row with the highest state (1 paid < 2 settled < 3 void), so duplicates
-- and out-of-order events never count twice or move an order backwards.
-- Columns are order_changes' (000004), so the three tables stay alike.
CREATE TABLE IF NOT EXISTS orders_by_time AS order_changes
ENGINE = ReplacingMergeTree(state)
ORDER BY (placed_at, order_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024
